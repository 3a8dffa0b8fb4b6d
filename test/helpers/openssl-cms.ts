import { spawnSync } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * `openssl cms -verify` as the README gives it, the second opinion beside posdecom verify:
 * true when openssl accepts. With `crlPem`, the README's revocation line: openssl 3.0's `cms` has
 * no -CRLfile, so the CRL rides in the -CAfile bundle (which loads certificates and CRLs alike)
 * and `-crl_check` makes openssl use it.
 */
export async function opensslAccepts(
  dir: string,
  content: Uint8Array,
  sig: Uint8Array,
  caPem: string,
  crlPem?: string,
): Promise<{ ok: boolean; stderr: string }> {
  const sub = await mkdtemp(join(dir, 'ossl-'));
  await Promise.all([
    writeFile(join(sub, 'content'), content),
    writeFile(join(sub, 'sig.p7s'), sig),
    writeFile(join(sub, 'ca.crt.pem'), crlPem ? `${caPem}${crlPem}` : caPem),
  ]);
  const args = ['cms', '-verify', '-binary', '-inform', 'DER', '-in', 'sig.p7s', '-content', 'content'];
  args.push('-CAfile', 'ca.crt.pem', '-out', '/dev/null');
  if (crlPem) args.push('-crl_check');
  const r = spawnSync('openssl', args, { cwd: sub, encoding: 'utf8' });
  if (r.error) throw r.error; // openssl missing fails the test; CI installs it
  return { ok: r.status === 0, stderr: r.stderr };
}
