import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { portSettingsFrom } from '../agent/options.js';
import { resolveProtocol } from '../agent/protocol-choice.js';
import { parsePortSpec } from '../protocol/transport/port-spec.js';
import { listenTcp } from '../protocol/transport/tcp-listen.js';
import { SimulatedZvtTerminal } from '../protocol/zvt/terminal/index.js';
import { createOrganisationPki, type OrganisationPki } from '../wipe/pki/ca.js';
import { runCli, signingArgs } from './helpers/cli.js';

/** `--protocol zvt` through the CLI: ports and their defaults, identify, backup, several terminals. */
const PASSPHRASE = 'zvt cli';
let pki: OrganisationPki;
let root: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'posdecom-zvt-cli-'));
  pki = await createOrganisationPki(join(root, 'pki'), {
    passphrase: PASSPHRASE,
    technicianName: 'Test Technician',
    technicianEmail: 'tech@example.org',
    org: 'Test Estate',
  });
});

async function zvtOrder(seed: number, zvt: Record<string, string>) {
  const t = await SimulatedZvtTerminal.create({ seed });
  const who = t.workOrderFor();
  await t.close();
  return {
    password: who.password,
    order: {
      id: `WO-ZVT-${seed}`,
      terminal: { serial: who.serial, model: who.deviceName },
      reason: 'end-of-lease',
      owner: { merchant: 'Test Merchant', location: 'Bench 1' },
      technician: { name: 'Test Technician', organisation: 'Test Estate', contact: 'tech@example.org' },
      destination: 'recycling',
      authority: { reference: `AUTH-${seed}` },
      zvt,
    },
  };
}

describe('ports and defaults for --protocol zvt', () => {
  it('reads zvt+tcp:// with and without a port, and refuses a bad one', () => {
    expect(parsePortSpec('zvt+tcp://10.0.0.5')).toEqual({ kind: 'zvt-tcp', host: '10.0.0.5', port: 20007 });
    expect(parsePortSpec('zvt+tcp://[::1]:2000')).toEqual({ kind: 'zvt-tcp', host: '::1', port: 2000 });
    expect(() => parsePortSpec('zvt+tcp://host:0')).toThrow(/expected zvt\+tcp:\/\/host\[:port\]/);
  });

  it('defaults a ZVT serial line to 9600 baud 8N2 without flow control, and lets a flag win', () => {
    const none = { timeout: 3000 };
    expect(portSettingsFrom(none, 'zvt')).toEqual({
      baudRate: 9600,
      dataBits: 8,
      parity: 'none',
      stopBits: 2,
      flowControl: 'none',
    });
    expect(portSettingsFrom({ ...none, baud: 19200, 'stop-bits': 1 }, 'zvt')).toMatchObject({
      baudRate: 19200,
      stopBits: 1,
    });
    expect(portSettingsFrom(none, 'line')).toMatchObject({ baudRate: 115200, stopBits: 1 });
  });

  it('takes the protocol a port can only speak, and refuses a flag that contradicts it', () => {
    expect(resolveProtocol(undefined, 'sim:zvt?seed=1')).toBe('zvt');
    expect(resolveProtocol(undefined, 'zvt+tcp://h')).toBe('zvt');
    expect(resolveProtocol(undefined, '/dev/ttyUSB0')).toBe('line');
    expect(resolveProtocol('zvt', '/dev/ttyUSB0')).toBe('zvt');
    expect(resolveProtocol('zvt', 'tcp://h:4001')).toBe('zvt');
    expect(() => resolveProtocol('line', 'zvt+tcp://h')).toThrow(/it speaks ZVT/);
    expect(() => resolveProtocol('zvt', 'sim:countertop')).toThrow(/speaks the line protocol/);
  });
});

describe('posdecom with --protocol zvt', () => {
  it('identify reads the identity and changes nothing; it needs no password', async () => {
    const r = await runCli(['identify', '--port', 'sim:zvt?seed=71', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as {
      identity: { model: string; vendor: string };
      status: unknown;
      protocol: string;
    };
    expect(out).toMatchObject({
      identity: { model: 'posdecom SIM-ZVT', vendor: 'unknown' },
      status: null,
      protocol: 'zvt/PA00P015',
    });
  });

  it('backup reads each file twice and keeps it when both reads agree; nothing is deleted', async () => {
    const out = join(root, 'backup');
    const r = await runCli([
      'backup',
      '--port',
      'sim:zvt?seed=72&scale=0.02',
      '--out',
      out,
      '--backup-recipient',
      pki.recipientCertPath,
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const manifest = JSON.parse(readFileSync(join(out, 'backup', 'manifest.json'), 'utf8')) as {
      stores: { name: string; terminalSha256: string; receivedSha256: string }[];
    };
    expect(manifest.stores.map((s) => s.name)).toEqual([
      'merchant-journal',
      'customer-journal',
      'reconciliation',
      'event-log',
      'configuration',
    ]);
    for (const s of manifest.stores) expect(s.receivedSha256).toBe(s.terminalSha256);
  });

  it('decommissions two ZVT terminals side by side, each with its own job and certificate (exit 11)', async () => {
    const a = await zvtOrder(73, { passwordEnv: 'ZVT_PW_A' });
    const b = await zvtOrder(74, { passwordEnv: 'ZVT_PW_B' });
    const orders = join(root, 'two.json');
    writeFileSync(orders, JSON.stringify({ workOrders: [a.order, b.order] }));
    const out = join(root, 'two');
    const r = await runCli(
      [
        'decommission',
        '--port',
        'sim:zvt?seed=73&scale=0.02',
        '--port',
        'sim:zvt?seed=74&scale=0.02',
        '--work-order',
        orders,
        '--out',
        out,
        '--yes',
        '--json',
        ...signingArgs(pki),
      ],
      { POSDECOM_KEY_PASSPHRASE: PASSPHRASE, ZVT_PW_A: a.password, ZVT_PW_B: b.password },
      120_000,
    );
    expect(r.code, r.stderr).toBe(11);
    const summary = JSON.parse(r.stdout) as { jobs: { overall: string; exitCode: number; serial: string }[] };
    expect(summary.jobs.map((j) => [j.serial, j.overall, j.exitCode])).toEqual([
      [a.order.terminal.serial, 'INCOMPLETE', 11],
      [b.order.terminal.serial, 'INCOMPLETE', 11],
    ]);
    expect(r.stdout + r.stderr).not.toContain(a.password);
  }, 150_000);

  it('stops in one line before any terminal is touched when the password variable is not set (exit 2)', async () => {
    const a = await zvtOrder(75, { passwordEnv: 'ZVT_PW_UNSET' });
    const order = join(root, 'unset.json');
    writeFileSync(order, JSON.stringify(a.order));
    const out = join(root, 'unset');
    const r = await runCli(
      [
        'decommission',
        '--port',
        'sim:zvt?seed=75',
        '--work-order',
        order,
        '--out',
        out,
        '--yes',
        ...signingArgs(pki),
      ],
      {
        POSDECOM_KEY_PASSPHRASE: PASSPHRASE,
      },
    );
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([
      `posdecom: work order WO-ZVT-75: environment variable ZVT_PW_UNSET (ZVT password) is not set`,
    ]);
    expect(existsSync(join(out, 'journal.jsonl'))).toBe(false);
  });

  it('reaches a ZVT terminal behind a serial device server (tcp://, the serial framing over TCP)', async () => {
    const t = await SimulatedZvtTerminal.create({ seed: 76 });
    const server = await listenTcp((endpoint) => t.attach(endpoint), { host: '127.0.0.1', port: 0 });
    try {
      const r = await runCli([
        'identify',
        '--port',
        `tcp://127.0.0.1:${server.port}`,
        '--protocol',
        'zvt',
        '--json',
      ]);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ identity: { serial: t.workOrderFor().serial } });
    } finally {
      await server.close();
      await t.close();
    }
  });

  it('replays a ZVT transcript, and refuses one named the wrong protocol (exit 2)', async () => {
    const fixture = new URL('../fixtures/zvt-no-file-access.jsonl', import.meta.url).pathname;
    const ok = await runCli(['replay', fixture, '--protocol', 'zvt']);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/result: the session replays/);
    const wrong = await runCli(['replay', fixture, '--protocol', 'line']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr.trim()).toMatch(/^posdecom: --protocol line: .* is a ZVT transcript$/);
  });

  it('refuses --protocol line for a ZVT-only port in one line (exit 2)', async () => {
    const r = await runCli(['identify', '--port', 'zvt+tcp://127.0.0.1:1', '--protocol', 'line']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(
      'posdecom: --protocol line cannot reach zvt+tcp://127.0.0.1:1: it speaks ZVT (use --protocol zvt)',
    );
  });
});
