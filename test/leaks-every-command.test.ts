import { spawn } from 'node:child_process';
import { createCipheriv, createHmac } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authMessage } from '../protocol/line/messages.js';
import { modelProfile, type KeySlotProfile } from '../protocol/line/terminal/models.js';
import { derive } from '../protocol/simulator/prng.js';
import { authorityCodeFor, createLinkPair, SimulatedTerminal } from '../protocol/line/terminal/index.js';
import { RawClient } from '../protocol/line/terminal/raw-client.js';
import {
  binaryForms,
  filesUnder,
  findPans,
  scan,
  textForms,
  transcriptTexts,
  type Secret,
  type Source,
} from './helpers/hostile-leak-scanner.js';

/**
 * Every command, run as a technician runs it (the built CLI, no TTY), against simulated
 * terminals whose saf and batch stores hold Luhn-valid PANs and track-2 data and whose secure
 * elements hold known keys. Everything the commands print or write is scanned for card numbers,
 * key material, the key passphrase, the authority codes and the AUTH MACs: zero hits. The one
 * exception is `backup decrypt`'s restore directory, whose whole point is the card data: there
 * the scanner must find it, which proves it looks in the right way.
 *
 * Needs a fresh build (`npm test` builds first; otherwise `npm run build`).
 */

const BIN = fileURLToPath(new URL('../bin/posdecom.js', import.meta.url));
const MODEL = 'countertop';
const SEED = { a: 4101, b: 4102, demo: 4103 } as const;
const PASSPHRASE = 'leak-test Passphrase 7f3a!';

interface Run {
  name: string;
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(name: string, args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('latin1')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('latin1')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ name, code, stdout, stderr });
    });
  });
}

/** The simulator's key bytes, derived as it derives them (protocol/line/terminal/keys.ts). */
function simulatorKeys(seed: number): { slot: number; bytes: Buffer; kcv: string }[] {
  return modelProfile(MODEL).keySlots.map((p: KeySlotProfile, i) => {
    const material = derive(seed, `key|${i + 1}|${p.type}`);
    let bytes: Buffer;
    if (p.algorithm === 'aes128') bytes = Buffer.from(material.subarray(0, 16));
    else {
      bytes = Buffer.concat([material.subarray(0, 16), material.subarray(0, 8)]);
      for (let j = 0; j < bytes.length; j++) {
        const b = bytes.readUInt8(j);
        let ones = 0;
        for (let v = b >> 1; v; v >>= 1) ones += v & 1;
        bytes.writeUInt8((b & 0xfe) | (ones % 2 === 0 ? 1 : 0), j);
      }
    }
    const cipher = createCipheriv(p.algorithm === 'aes128' ? 'aes-128-ecb' : 'des-ede3-ecb', bytes, null);
    cipher.setAutoPadding(false);
    const block = Buffer.alloc(p.algorithm === 'aes128' ? 16 : 8);
    const kcv = Buffer.concat([cipher.update(block), cipher.final()])
      .subarray(0, 3)
      .toString('hex')
      .toUpperCase();
    return { slot: i + 1, bytes, kcv };
  });
}

/** AUTH MACs recomputed from the sessions and nonces a transcript shows in clear. */
function macsIn(transcript: string, code: string, serial: string): Buffer[] {
  const sessions = [...transcript.matchAll(/\\?"session\\?":\\?"([0-9a-f]{16})\\?"/g)].map((m) => m[1]!);
  const nonces = [...transcript.matchAll(/\\?"nonce\\?":\\?"([0-9a-f]{32})\\?"/g)].map((m) => m[1]!);
  const macs: Buffer[] = [];
  for (const s of new Set(sessions))
    for (const n of new Set(nonces)) {
      const mac = createHmac('sha256', code)
        .update(authMessage(serial, n, s))
        .digest('hex');
      macs.push(Buffer.from(mac), Buffer.from(mac.toUpperCase()));
    }
  return macs;
}

let root: string;
const runs: Run[] = [];
let sources: Source[] = [];
const secrets: Secret[] = [];
let restored: Source[] = [];
let knownPans: string[] = [];
let macCount = 0;

const terminals: Record<keyof typeof SEED, { serial: string; code: string }> = {
  a: { serial: '', code: '' },
  b: { serial: '', code: '' },
  demo: { serial: '', code: '' },
};

async function groundTruth(): Promise<void> {
  for (const key of Object.keys(SEED) as (keyof typeof SEED)[]) {
    const t = await SimulatedTerminal.create({ model: MODEL, seed: SEED[key], noncompliant: key !== 'demo' });
    try {
      terminals[key] = { serial: t.identity.serial, code: t.authorityCode };
      expect(authorityCodeFor(SEED[key], t.identity.serial)).toBe(t.authorityCode);
      const [ours, theirs] = createLinkPair();
      t.attach(theirs);
      const client = new RawClient(ours);
      await client.hello();
      const slots = (await client.request('KEYS')).slots as { slot: number; kcv: string | null }[];
      const derived = simulatorKeys(SEED[key]);
      // Derived the simulator's way, or the key scan below would look for the wrong bytes.
      expect(derived.map((k) => k.kcv)).toEqual(slots.map((s) => s.kcv));
      for (const k of derived) {
        secrets.push(binaryForms(`key slot ${k.slot} of seed ${SEED[key]}`, k.bytes));
        secrets.push(
          binaryForms(`key slot ${k.slot} of seed ${SEED[key]} (16-byte form)`, k.bytes.subarray(0, 16)),
        );
      }
      secrets.push(textForms(`authority code of seed ${SEED[key]}`, t.authorityCode));
      if (key === 'a') {
        for (const store of ['saf', 'batch', 'journal']) {
          const size = (await client.request('STORES')).stores as { name: string; size: number }[];
          const info = size.find((s) => s.name === store)!;
          knownPans.push(...findPans(t.readStoreBytes(store, 0, info.size).toString('latin1')));
        }
      }
    } finally {
      await t.close();
    }
  }
  knownPans = [...new Set(knownPans)];
  // The same card numbers as a terminal keeps them in EMV tags: packed BCD, which no text scan sees.
  for (const pan of knownPans) secrets.push(binaryForms('a card number in packed BCD', packedBcd(pan)));
  secrets.push(textForms('key passphrase', PASSPHRASE));
}

function workOrder(key: 'a' | 'b', codeEnv: string): string {
  const t = terminals[key];
  return JSON.stringify({
    id: `WO-LEAK-${key}`,
    terminal: { serial: t.serial, model: 'KPS C420' },
    reason: 'end-of-lease',
    owner: { merchant: 'Leak Café', location: '1 Test Street' },
    technician: { name: 'Leak Technician', organisation: 'Leak Test Ltd', contact: 'leaks@example.org' },
    destination: 'recycling',
    authority: { reference: `ACQ-${t.serial}`, codeEnv },
  });
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'posdecom-leaks-'));
  await groundTruth();
  const p = (...parts: string[]) => join(root, ...parts);
  const env = {
    POSDECOM_CA_PASSPHRASE: PASSPHRASE,
    POSDECOM_SIGN_PASSPHRASE: PASSPHRASE,
    POSDECOM_RECIPIENT_PASSPHRASE: PASSPHRASE,
    LEAK_AUTHORITY_A: terminals.a.code,
    LEAK_AUTHORITY_B: terminals.b.code,
  };
  const all = async (list: Promise<Run>[]) => runs.push(...(await Promise.all(list)));
  // Terminals a and b keep clear card data (noncompliant): the worst case for every output.
  const port = (seed: number) => `sim:${MODEL}?seed=${seed}${seed === SEED.demo ? '' : '&noncompliant=1'}`;
  await writeFile(p('wo-a.json'), workOrder('a', 'LEAK_AUTHORITY_A'));
  await writeFile(p('wo-b.json'), workOrder('b', 'LEAK_AUTHORITY_B'));
  const bits = ['--key-bits', '2048'];

  await all([cli('ca init', ['ca', 'init', '--out', p('ca'), '--org', 'Leak Test Ltd', ...bits], env)]);
  await all([
    cli(
      'ca issue',
      [
        'ca',
        'issue',
        '--ca',
        p('ca'),
        '--out',
        p('tech'),
        '--name',
        'Leak Technician',
        '--email',
        'leaks@example.org',
        ...bits,
      ],
      env,
    ),
    cli(
      'ca issue-recipient',
      ['ca', 'issue-recipient', '--ca', p('ca'), '--out', p('recipient'), '--name', 'Leak Backups', ...bits],
      env,
    ),
  ]);
  const recipient = ['--backup-recipient', p('recipient', 'backup-recipient.crt.pem')];
  const signing = [
    '--sign-key',
    p('tech', 'technician.key.pem'),
    '--sign-cert',
    p('tech', 'technician.crt.pem'),
    '--chain',
    p('tech', 'chain.pem'),
  ];
  await all([
    cli('identify --record', ['identify', '--port', port(SEED.a), '--record', p('identify.jsonl')], env),
    cli('identify --json', ['identify', '--port', port(SEED.a), '--json'], env),
    cli(
      'backup --record --json',
      [
        'backup',
        '--port',
        port(SEED.a),
        '--out',
        p('backup-only'),
        ...recipient,
        '--record',
        p('backup-only.jsonl'),
        '--json',
      ],
      env,
    ),
    cli(
      'decommission --record',
      [
        'decommission',
        '--port',
        port(SEED.a),
        '--work-order',
        p('wo-a.json'),
        '--out',
        p('job-a'),
        '--yes',
        ...recipient,
        ...signing,
        '--record',
        p('job-a.jsonl'),
      ],
      env,
    ),
    cli(
      'decommission --json',
      [
        'decommission',
        '--port',
        port(SEED.b),
        '--work-order',
        p('wo-b.json'),
        '--out',
        p('job-b'),
        '--yes',
        ...recipient,
        ...signing,
        '--json',
      ],
      env,
    ),
    cli('demo', ['demo', '--out', p('demo'), '--seed', String(SEED.demo)], env),
    cli('ports', ['ports'], env),
  ]);
  const caCert = p('ca', 'ca.crt.pem');
  const key = p('recipient', 'backup-recipient.key.pem');
  await all([
    cli('verify', ['verify', p('job-a', 'certificate.json'), '--ca', caCert, '--backup', p('job-a')], env),
    cli('verify --json', ['verify', p('job-b', 'certificate.json'), '--ca', caCert, '--json'], env),
    cli(
      'report',
      [
        'report',
        p('job-a'),
        p('job-b'),
        '--ca',
        caCert,
        '--csv',
        p('estate.csv'),
        '--html',
        p('estate.html'),
      ],
      env,
    ),
    cli('report --json', ['report', p('job-a'), p('job-b'), '--ca', caCert, '--json'], env),
    cli('replay --verbose', ['replay', p('job-a.jsonl'), '--out', p('replayed'), '--verbose'], env),
    cli(
      'backup decrypt',
      ['backup', 'decrypt', '--in', p('job-a'), '--key', key, '--out', p('restored-a')],
      env,
    ),
    cli(
      'backup decrypt --json',
      ['backup', 'decrypt', '--in', p('backup-only'), '--key', key, '--out', p('restored-b'), '--json'],
      env,
    ),
  ]);

  const files = await filesUnder(root, [p('restored-a'), p('restored-b')]);
  const outputs = runs.flatMap((r) => [
    { name: `stdout of ${r.name}`, bytes: Buffer.from(r.stdout, 'latin1') },
    { name: `stderr of ${r.name}`, bytes: Buffer.from(r.stderr, 'latin1') },
  ]);
  sources = [...outputs, ...files];
  for (const [file, key] of [
    ['job-a.jsonl', 'a'],
    ['identify.jsonl', 'a'],
    ['backup-only.jsonl', 'a'],
  ] as const) {
    const macs = macsIn(await readFile(p(file), 'utf8'), terminals[key].code, terminals[key].serial);
    macCount += macs.length;
    if (macs.length > 0) secrets.push({ label: `AUTH MAC seen in ${file}`, forms: macs });
  }
  restored = [...(await filesUnder(p('restored-a'))), ...(await filesUnder(p('restored-b')))];
}, 240_000);

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

const show = (leaks: { source: string; what: string; excerpt: string }[]) =>
  leaks.map((l) => `${l.what} in ${l.source} (${l.excerpt})`).join('\n');

describe('no card data, keys or secrets leak from any command', () => {
  it('ran every command to its expected end', () => {
    const codes = Object.fromEntries(runs.map((r) => [r.name, r.code]));
    const { ports, ...rest } = codes;
    expect(
      Object.values(rest).every((c) => c === 0),
      JSON.stringify(codes, null, 1) + runs.map((r) => r.stderr).join(''),
    ).toBe(true);
    expect([0, 3]).toContain(ports);
    for (const f of [
      'certificate.json',
      'certificate.p7s',
      'certificate.pdf',
      'journal.jsonl',
      'audit.log',
    ]) {
      expect(existsSync(join(root, 'job-a', f)), f).toBe(true);
      expect(existsSync(join(root, 'job-b', f)), f).toBe(true);
    }
    expect(sources.length).toBeGreaterThan(40);
  });

  it('finds the terminal’s card numbers in the restored backup, so the scanner is known to see them', () => {
    expect(knownPans.length).toBeGreaterThan(50);
    const found = new Set(restored.flatMap((s) => findPans(s.bytes.toString('latin1'))));
    expect(knownPans.filter((pan) => found.has(pan))).toEqual(knownPans);
  });

  it('decodes the recorded READ data, so a transcript cannot hide card data from the scan', async () => {
    const decoded = transcriptTexts(await readFile(join(root, 'job-a.jsonl'))).join('\n');
    // Device logs come through; the card stores, and the journal that shows card data, are withheld.
    expect(decoded).toMatch(/INFO {2}(comms|emv|printer)/);
    expect(decoded).toMatch(/X{1000,}/);
    expect(decoded).not.toMatch(/APPROVED/);
  });

  it('prints and writes no Luhn-valid card number anywhere else', () => {
    const leaks = scan(sources, []);
    expect(show(leaks)).toBe('');
  });

  it('prints and writes no key material, passphrase, authority code or AUTH MAC', () => {
    expect(macCount).toBeGreaterThan(0);
    const leaks = scan(sources, secrets).filter((l) => l.what !== 'Luhn-valid card number');
    expect(show(leaks)).toBe('');
  });

  it('keeps card data out of the recorded fixtures in the repository', async () => {
    const dir = fileURLToPath(new URL('../fixtures', import.meta.url));
    const fixtures = existsSync(dir) ? await filesUnder(dir) : [];
    expect(show(scan(fixtures, [textForms('key passphrase', PASSPHRASE)]))).toBe('');
  });
});

/** A card number as EMV tag 5A holds it: two digits a byte, F-padded. */
function packedBcd(pan: string): Buffer {
  return Buffer.from(pan.length % 2 === 0 ? pan : `${pan}F`, 'hex');
}
