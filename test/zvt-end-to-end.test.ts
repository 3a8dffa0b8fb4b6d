import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrganisationPki, type OrganisationPki } from '../wipe/pki/ca.js';
import { BIN, runCli, signingArgs } from './helpers/cli.js';

/**
 * `posdecom decommission --protocol zvt` end to end, as a technician runs it: the simulated ZVT
 * terminal served by `posdecom simulate --model zvt` in its own process, over a real
 * pseudo-terminal (socat) with the real serialport binding, and over ZVT's native TCP
 * (`--listen`, `zvt+tcp://`). Each ends in a signed certificate whose ZVT-impossible steps are
 * UNKNOWN, overall INCOMPLETE (exit 11), never PASS, verified by `posdecom verify` and openssl.
 */
const PASSPHRASE = 'zvt end to end';
let pki: OrganisationPki;
let root: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'posdecom-zvt-e2e-'));
  pki = await createOrganisationPki(join(root, 'pki'), {
    passphrase: PASSPHRASE,
    technicianName: 'Test Technician',
    technicianEmail: 'tech@example.org',
    org: 'Test Estate',
  });
});

/** Starts `posdecom simulate` and resolves with the address it printed (pty path or zvt+tcp URL). */
async function simulate(args: string[]): Promise<{ child: ChildProcess; address: string }> {
  const child = spawn(process.execPath, [BIN, 'simulate', '--model', 'zvt', '--scale', '0.03', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let errText = '';
  child.stderr!.on('data', (d: Buffer) => (errText += d.toString()));
  const address = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.trim());
    });
    child.on('exit', (code) => reject(new Error(`simulate exited ${code}: ${errText}`)));
  });
  return { child, address };
}

async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

interface Certificate {
  overall: { result: string };
  device: { transport: string; protocol: string; simulated: boolean; serial: string };
  steps: { step: string; target?: string; result: string }[];
}

async function decommissionAndVerify(port: string, dir: string, workOrder: string): Promise<Certificate> {
  const out = join(dir, 'out');
  const r = await runCli(
    [
      'decommission',
      '--port',
      port,
      '--protocol',
      'zvt',
      '--work-order',
      workOrder,
      '--out',
      out,
      '--yes',
      ...signingArgs(pki),
    ],
    { POSDECOM_KEY_PASSPHRASE: PASSPHRASE },
    120_000,
  );
  expect(r.code, r.stdout + r.stderr).toBe(11);
  const cert = JSON.parse(readFileSync(join(out, 'certificate.json'), 'utf8')) as Certificate;
  expect(cert.overall.result).toBe('INCOMPLETE');
  const byStep = (step: string) => cert.steps.filter((s) => s.step === step).map((s) => s.result);
  for (const step of ['disable-acceptance', 'network-down', 'key-zeroization']) {
    expect(byStep(step).length).toBeGreaterThan(0);
    for (const result of byStep(step)) expect(['UNKNOWN', 'ATTESTED']).toContain(result);
  }
  for (const step of [
    'identify',
    'authorize',
    'settle',
    'backup',
    'erase',
    'erase-verification',
    'unbind',
    'finalize',
  ])
    expect(
      byStep(step).every((x) => x === 'PASS'),
      step,
    ).toBe(true);
  const verify = await runCli([
    'verify',
    join(out, 'certificate.json'),
    '--ca',
    pki.caCertPath,
    '--backup',
    out,
  ]);
  expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  expect(verify.stdout).toMatch(/VERIFIED \(overall result INCOMPLETE[;)]/);
  execFileSync(
    'openssl',
    [
      'cms',
      '-verify',
      '-binary',
      '-inform',
      'DER',
      '-in',
      join(out, 'certificate.p7s'),
      '-content',
      join(out, 'certificate.json'),
      '-CAfile',
      pki.caCertPath,
      '-out',
      '/dev/null',
    ],
    { stdio: 'pipe' },
  );
  return cert;
}

describe('decommission --protocol zvt over a real pseudo-terminal (socat, serialport)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'posdecom-zvt-pty-'));
  let sim: { child: ChildProcess; address: string };
  beforeAll(async () => {
    sim = await simulate([
      '--seed',
      '41',
      '--link',
      join(dir, 'ttyZVT'),
      '--work-order-out',
      join(dir, 'wo.json'),
    ]);
  });
  afterAll(async () => stop(sim.child));

  it('settles, backs up, deletes, unbinds and confirms at 9600 8N2 defaults; INCOMPLETE, verified', async () => {
    expect(sim.address).toBe(join(dir, 'ttyZVT'));
    const cert = await decommissionAndVerify(sim.address, dir, join(dir, 'wo.json'));
    expect(cert.device.transport).toBe('serial');
    expect(cert.device.protocol).toBe('zvt/PA00P015');
    expect(cert.device.simulated).toBe(true);
  }, 150_000);
});

describe('decommission over zvt+tcp:// (simulate --listen, native ZVT over TCP)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'posdecom-zvt-tcp-'));
  let sim: { child: ChildProcess; address: string };
  beforeAll(async () => {
    sim = await simulate([
      '--seed',
      '42',
      '--listen',
      '127.0.0.1:0',
      '--work-order-out',
      join(dir, 'wo.json'),
    ]);
  });
  afterAll(async () => stop(sim.child));

  it('reaches the terminal by raw APDUs and ends INCOMPLETE, verified', async () => {
    expect(sim.address).toMatch(/^zvt\+tcp:\/\/127\.0\.0\.1:\d+$/);
    const cert = await decommissionAndVerify(sim.address, dir, join(dir, 'wo.json'));
    expect(cert.device.transport).toBe('zvt+tcp');
  }, 150_000);
});
