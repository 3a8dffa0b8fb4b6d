import { describe, expect, it } from 'vitest';
import { buildCertificate } from '../wipe/certificate/build.js';
import type { CertificateInput, Technician, WipeCertificate } from '../wipe/certificate/model.js';
import { qrContent, renderCertificatePdf } from '../wipe/certificate/pdf/render.js';
import { SIMULATED_BAND } from '../wipe/certificate/simulated.js';
import { sampleCertificateInput } from '../wipe/certificate/sample.js';
import { pdfPages } from './helpers/pdf-text.js';

/** The PDF as a reader gets it back out: every page, every line, through PDF.js. */

const TECH: Technician = {
  name: 'Jane Doe',
  title: 'Field engineer',
  organisation: 'Example Retail',
  contact: 'jane@example.com',
  phone: '+44 20 7946 0000',
  location: 'Store 12 back office',
  signerSubject: 'CN=Jane Doe, O=Example Retail',
};
const SHA = 'c0ffee'.repeat(10) + 'abcd';

function certificate(edit: (i: CertificateInput) => void = () => undefined): WipeCertificate {
  const i = sampleCertificateInput(TECH);
  edit(i);
  return buildCertificate(i);
}

async function pagesOf(c: WipeCertificate): Promise<string[][]> {
  return pdfPages(await renderCertificatePdf(c, SHA));
}

/** Every 64-hex digest anywhere in the certificate. */
function digests(c: WipeCertificate): string[] {
  return [...new Set(JSON.stringify(c).match(/\b[0-9a-f]{64}\b/g) ?? [])];
}

describe('the certificate PDF, read back as text', () => {
  it('carries the certificate id and "page i of n" on every page, and the band on every page of a simulated terminal', async () => {
    const c = certificate();
    const pages = await pagesOf(c);
    expect(pages.length).toBeGreaterThan(1);
    pages.forEach((lines, i) => {
      expect(lines).toContain(SIMULATED_BAND);
      expect(lines).toContain(`Certificate ${c.certificateId} · page ${i + 1} of ${pages.length}`);
    });
  });

  it('has no band for a real terminal', async () => {
    const c = certificate((i) => (i.device = { ...i.device, simulated: false, transport: 'serial' }));
    const text = (await pagesOf(c)).flat().join('\n');
    expect(text).not.toContain(SIMULATED_BAND);
    expect(text).toContain('Terminal a device');
  });

  it('cuts no digest, id, command or evidence value across lines', async () => {
    const c = certificate((i) => {
      const erase = i.steps.find((s) => s.step === 'erase' && s.target === 'logs')!;
      erase.evidence = { ...erase.evidence, op: 'c1a81cd6:erase:logs-with-a-long-operation-name' };
    });
    const lines = (await pagesOf(c)).flat();
    const whole = (token: string) => lines.some((l) => l.includes(token));
    for (const d of [...digests(c), SHA]) expect(whole(d), d).toBe(true);
    expect(whole(`Certificate ${c.certificateId}`)).toBe(true);
    expect(whole('c1a81cd6:erase:logs-with-a-long-operation-name')).toBe(true);
    expect(
      whole(
        'openssl cms -verify -binary -inform DER -in certificate.p7s -content certificate.json -CAfile ca.crt.pem -out /dev/null',
      ),
    ).toBe(true);
    expect(whole('posdecom verify certificate.json --ca ca.crt.pem')).toBe(true);
    // No line ends in the middle of a hyphenated token.
    expect(lines.filter((l) => /[A-Za-z0-9]-$/.test(l))).toEqual([]);
  });

  it('says evidence in sentences, with no JSON braces or quotes, even for keys no renderer knows', async () => {
    const c = certificate((i) => {
      const settle = i.steps.find((s) => s.step === 'settle')!;
      settle.evidence = {
        ...settle.evidence,
        hostReply: { code: '00', text: 'approved', nested: { deep: [1, 2] } },
      };
    });
    const pages = await pagesOf(c);
    const text = pages.flat().join(' ');
    const body = text.slice(text.indexOf('Steps identify'), text.indexOf('Bound files'));
    expect(body.length).toBeGreaterThan(1000);
    expect(body).not.toMatch(/[{}"]/);
    expect(body).toContain('Batch B-0042 settled: 17 transactions, totals EUR 482.10.');
    expect(body).toContain('host reply: code 00, nested (deep 1, 2), text approved.');
    expect(body).toContain('Erased by crypto, 1 pass (operation erase-journal).');
    expect(body).toContain('The media encryption key was reported destroyed.');
  });

  it('shows the NIST method type and its reason for every store, and the Appendix G fields', async () => {
    const c = certificate();
    const text = (await pagesOf(c)).flat().join(' ');
    for (const s of c.sanitization.stores) expect(text).toContain(`${s.store} (${s.media}):`);
    expect(text).toContain(
      'Method type Purge: crypto erase with the media encryption key reported destroyed',
    );
    expect(text).toContain('Method type Clear: overwrite through the terminal');
    for (const label of [
      'Media property number ASSET-0001',
      'Source Example Retail Ltd, store 12',
      'Title Field engineer',
      'Phone +44 20 7946 0000',
      'Location Store 12 back office',
      'Data backed up yes',
      'Media destination external reuse (return-to-provider)',
    ])
      expect(text).toContain(label);
  });

  it('has the how-to-verify paragraph, an empty validation box and the QR content it documents', async () => {
    const c = certificate();
    const text = (await pagesOf(c)).flat().join('\n');
    expect(text).toContain('How to verify this certificate');
    expect(text).toContain('Validation (a second person, NIST SP 800-88 rev.2 s.4.5)');
    expect(text).toMatch(/Outcome: accepted \/ not accepted/);
    expect(qrContent(c, SHA)).toBe(`posdecom-certificate/2 ${c.certificateId} sha256:${SHA}`);
  });

  it('shows an attested step with the statement and its evidence file digest', async () => {
    const c = certificate((i) => {
      const keys = i.steps.find((s) => s.step === 'key-zeroization')!;
      keys.result = 'UNKNOWN';
      i.attestations = [
        {
          step: 'key-zeroization',
          statement: 'Keys zeroized from the PIN pad menu, Maintenance > Erase keys.',
          time: '2025-03-14T09:30:00.000Z',
          evidence: [
            { name: 'pinpad.jpg', path: 'attestation/01-pinpad.jpg', size: 1234, sha256: 'ef'.repeat(32) },
          ],
        },
      ];
    });
    expect(c.overall.result).toBe('INCOMPLETE');
    const text = (await pagesOf(c)).flat().join(' ');
    expect(text).toContain('OVERALL RESULT: INCOMPLETE');
    expect(text).toContain('key-zeroization ATTESTED');
    expect(text).toContain(
      'Attested by the technician for 2025-03-14 09:30:00Z: Keys zeroized from the PIN pad menu',
    );
    expect(text).toContain(
      `Evidence file pinpad.jpg (1234 bytes, kept as attestation/01-pinpad.jpg), SHA-256 ${'ef'.repeat(32)}.`,
    );
  });
});
