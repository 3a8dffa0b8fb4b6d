import { describe, expect, it } from 'vitest';
import { buildCertificate, technicianFromCertificate } from '../wipe/certificate/build.js';
import { canonicalBytes } from '../wipe/certificate/canonical-json.js';
import type { CertificateInput } from '../wipe/certificate/model.js';
import { signCertificate } from '../wipe/certificate/sign.js';
import { verifyCertificate, type VerificationReport } from '../wipe/verify/verify.js';
import { sampleIssuedNow } from './helpers/sample-now.js';
import { caProfile, issue, signerProfile, type Party } from './helpers/weak-pki.js';

/**
 * signingTime is asserted by the key's holder; the verifier holds it to the signed document:
 * not in the future, within minutes of issuedAt, not before the last step ended. Together with
 * validity at the signing time this stops a backdated signature by an expired signer.
 */

const DAY = 86_400_000;
const MIN = 60_000;
const root = issue({
  name: 'Time Root CA',
  extensions: caProfile(),
  notBefore: new Date(Date.now() - 500 * DAY),
});

function failed(r: VerificationReport): string[] {
  return r.checks.filter((c) => !c.ok).map((c) => c.name);
}

function signed(s: Party, o: { issuedAt: Date; signingTime: Date; edit?: (i: CertificateInput) => void }) {
  const input = sampleIssuedNow(technicianFromCertificate(s.certPem), o.issuedAt);
  o.edit?.(input);
  const json = canonicalBytes(buildCertificate(input));
  const p7s = signCertificate(json, {
    keyObject: s.key,
    certPem: s.certPem,
    chainPems: [],
    signingTime: o.signingTime,
  });
  return { json, p7s };
}

describe('the signing time', () => {
  const expired = issue({
    name: 'Expired Signer',
    issuer: root,
    extensions: signerProfile(),
    notBefore: new Date(Date.now() - 400 * DAY),
    notAfter: new Date(Date.now() - 10 * DAY),
  });
  const current = issue({ name: 'Current Signer', issuer: root, extensions: signerProfile() });

  it('fails a signature backdated into an expired signer certificate’s life for a certificate issued after it ended', async () => {
    const { json, p7s } = signed(expired, {
      issuedAt: new Date(),
      signingTime: new Date(Date.now() - 20 * DAY),
    });
    const r = await verifyCertificate(json, p7s, root.certPem);
    // The chain holds at the claimed time; the claim itself is what does not hold.
    expect(failed(r)).toEqual(['signing-time']);
    expect(r.checks.find((c) => c.name === 'signing-time')?.detail).toMatch(
      /^signingTime \S+ is more than 10 minutes from issuedAt \S+$/,
    );
  });

  it('keeps valid a certificate the same signer issued and signed while its certificate was valid', async () => {
    const then = new Date(Date.now() - 20 * DAY);
    const { json, p7s } = signed(expired, { issuedAt: then, signingTime: then });
    expect(failed(await verifyCertificate(json, p7s, root.certPem))).toEqual([]);
  });

  it('fails a signing time in the future, beyond five minutes of clock skew', async () => {
    const later = new Date(Date.now() + 60 * MIN);
    const { json, p7s } = signed(current, { issuedAt: later, signingTime: later });
    const r = await verifyCertificate(json, p7s, root.certPem);
    expect(failed(r)).toEqual(['signing-time']);
    expect(r.checks.find((c) => c.name === 'signing-time')?.detail).toMatch(/is in the future/);
    const slightly = new Date(Date.now() + 2 * MIN);
    const ok = signed(current, { issuedAt: slightly, signingTime: slightly });
    expect(failed(await verifyCertificate(ok.json, ok.p7s, root.certPem))).toEqual([]);
  });

  it('fails a signing time before the last step ended', async () => {
    const now = new Date();
    const { json, p7s } = signed(current, {
      issuedAt: now,
      signingTime: now,
      edit: (i) => {
        const last = i.steps[i.steps.length - 1];
        if (last) last.endedAt = new Date(now.getTime() + 3 * MIN).toISOString();
      },
    });
    const r = await verifyCertificate(json, p7s, root.certPem);
    expect(failed(r)).toEqual(['signing-time']);
    expect(r.checks.find((c) => c.name === 'signing-time')?.detail).toMatch(/is before the last step ended/);
  });

  it('allows up to ten minutes between issuedAt and the signing time, and no more', async () => {
    const issuedAt = new Date(Date.now() - 30 * MIN);
    const within = signed(current, { issuedAt, signingTime: new Date(issuedAt.getTime() + 9 * MIN) });
    expect(failed(await verifyCertificate(within.json, within.p7s, root.certPem))).toEqual([]);
    const beyond = signed(current, { issuedAt, signingTime: new Date(issuedAt.getTime() + 11 * MIN) });
    expect(failed(await verifyCertificate(beyond.json, beyond.p7s, root.certPem))).toEqual(['signing-time']);
  });
});
