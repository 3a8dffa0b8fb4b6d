/**
 * Throughput and memory of backup encryption and restore, for `npm run bench`-style reporting:
 * `node dist/wipe/cms-bench.js [MiB]` after a build. Not a test: numbers vary by machine.
 * The recipient is a throwaway self-signed certificate made here; nothing touches real keys.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import forge from 'node-forge';
import { decryptFileTo } from './decrypt.js';
import { createEncryptedFileWriter } from './encrypt.js';

export interface CmsBenchResult {
  mebibytes: number;
  encryptMBps: number;
  decryptMBps: number;
  encryptPeakRssGrowthMB: number;
  decryptPeakRssGrowthMB: number;
}

function throwawayRecipient(): { certPem: string; keyPem: string } {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString());
  cert.serialNumber = '01';
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 86_400_000);
  const name = [{ name: 'commonName', value: 'posdecom bench recipient' }];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.setExtensions([{ name: 'keyUsage', keyEncipherment: true }]);
  const keyPem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  cert.sign(forge.pki.privateKeyFromPem(keyPem), forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem };
}

/** Seconds taken by `work` and the peak RSS growth seen while it ran, in MB. */
async function measure(work: () => Promise<unknown>): Promise<{ seconds: number; peakMB: number }> {
  const before = process.memoryUsage().rss;
  let peak = before;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
  const started = process.hrtime.bigint();
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { seconds, peakMB: (Math.max(peak, process.memoryUsage().rss) - before) / 1e6 };
}

export async function benchCms(mebibytes = 256): Promise<CmsBenchResult> {
  const dir = await mkdtemp(join(tmpdir(), 'posdecom-bench-'));
  try {
    const { certPem, keyPem } = throwawayRecipient();
    const block = randomBytes(1024 * 1024);
    const file = join(dir, 'bench.cms');
    let plaintextSha256 = '';
    const enc = await measure(async () => {
      const w = await createEncryptedFileWriter(file, { certPem });
      for (let i = 0; i < mebibytes; i++) {
        block[0] = i & 0xff;
        await w.write(block);
      }
      plaintextSha256 = (await w.finish()).plaintextSha256;
    });
    const dec = await measure(() =>
      decryptFileTo(file, keyPem, undefined, join(dir, 'bench.bin'), plaintextSha256),
    );
    const mb = (mebibytes * 1024 * 1024) / 1e6;
    return {
      mebibytes,
      encryptMBps: Math.round(mb / enc.seconds),
      decryptMBps: Math.round(mb / dec.seconds),
      encryptPeakRssGrowthMB: Math.round(enc.peakMB),
      decryptPeakRssGrowthMB: Math.round(dec.peakMB),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const mib = Number(process.argv[2] ?? 256);
  process.stdout.write(JSON.stringify(await benchCms(Number.isInteger(mib) && mib > 0 ? mib : 256)) + '\n');
}
