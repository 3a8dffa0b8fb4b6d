import { performance } from 'node:perf_hooks';
import { buildCertificate, technicianFromCertificate } from '../wipe/certificate/build.js';
import { canonicalBytes } from '../wipe/certificate/canonical-json.js';
import { sampleCertificateInput } from '../wipe/certificate/sample.js';
import { loadSigner, signCertificate } from '../wipe/certificate/sign.js';
import type { OrganisationPki } from '../wipe/pki/ca.js';
import { loadTrust } from '../wipe/verify/trust.js';
import { verifyCertificate } from '../wipe/verify/verify.js';
import { BENCH_PASSPHRASE } from './fleet.js';

/**
 * Certificates verified per second in one process, as the estate report verifies them: one
 * Trust read once, a few verifications in flight (the signature check waits on libuv's thread
 * pool), each certificate distinct (own id and signature), every check run. Signing happens
 * before the clock starts.
 */
export async function verifyRate(pki: OrganisationPki, count: number, inFlight = 8) {
  const signer = await loadSigner(pki.dir, BENCH_PASSPHRASE);
  const tech = technicianFromCertificate(signer.certPem);
  const docs = Array.from({ length: Math.min(count, 200) }, (_, i) => {
    const json = canonicalBytes(
      buildCertificate({
        ...sampleCertificateInput(tech),
        certificateId: `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`,
        issuedAt: new Date(),
      }),
    );
    return { json, p7s: signCertificate(json, signer) };
  });
  const trust = await loadTrust(pki.caCertPem);
  let next = 0;
  let failed = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      for (let i = next++; i < count; i = next++) {
        const d = docs[i % docs.length] as (typeof docs)[number];
        if (!(await verifyCertificate(d.json, d.p7s, trust)).ok) failed++;
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  if (failed > 0) throw new Error(`${failed} of ${count} benchmark certificates did not verify`);
  return { perSecond: count / seconds, seconds, count };
}
