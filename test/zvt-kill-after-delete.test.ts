import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FILE_IDS } from '../protocol/zvt/codec/commands.js';
import { SimulatedZvtTerminal } from '../protocol/zvt/terminal/index.js';
import { BIN, signingArgs } from './helpers/cli.js';
import { expectBackupsBeforeErases, removeScratch, sharedPki } from './helpers/fault-harness.js';
import { journalLines, runCliKilling } from './helpers/fault-cli.js';

/**
 * The worst moment to die in a ZVT delete: the terminal has deleted the file (it took the ECR's
 * 80 00 00 to the Delete File completion) and the agent is killed before it journals that. The
 * kill is triggered by the simulated terminal's own state file showing the file deleted, so it
 * lands in that window every time (the terminal is slowed down, so the window is wide). The
 * resumed job must not send Delete File for a file that is gone (the terminal would refuse it):
 * it looks first, finds it gone, and proves it by reading it again.
 */
afterAll(removeScratch);

const SEED = 233;
const WATCH_MS = 4;

interface Killed {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

/** Runs the CLI and kills it with SIGKILL as soon as `dead()` is true. */
function runUntil(args: string[], env: NodeJS.ProcessEnv, dead: () => boolean): Promise<Killed> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const watch = setInterval(() => {
      if (dead()) {
        clearInterval(watch);
        child.kill('SIGKILL');
      }
    }, WATCH_MS);
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearInterval(watch);
      clearTimeout(timer);
      resolve({ code, signal, output });
    });
  });
}

describe('a ZVT job killed right after the terminal deleted a file', () => {
  it('resumes without sending Delete File again, finds the file gone and proves it by reading it again', async () => {
    const pki = await sharedPki();
    const root = mkdtempSync(join(tmpdir(), 'posdecom-zvt-kill-delete-'));
    const probe = await SimulatedZvtTerminal.create({ seed: SEED, fileScale: 0.02 });
    const who = probe.workOrderFor();
    const names = probe.snapshot().files.map((f) => f.name);
    await probe.close();
    const workOrder = join(root, 'wo.json');
    writeFileSync(
      workOrder,
      JSON.stringify({
        id: 'WO-ZVT-KILL-DELETE',
        terminal: { serial: who.serial },
        reason: 'end-of-lease',
        owner: { merchant: 'M', location: 'L' },
        technician: {
          name: 'Test Technician',
          organisation: 'Test Estate Ltd',
          contact: 'technician@example.org',
        },
        destination: 'recycling',
        authority: { reference: 'AUTH' },
        zvt: { passwordEnv: 'ZVT_KILL_DELETE_PW' },
      }),
    );
    const out = join(root, 'out');
    const state = join(root, 'terminal.json');
    // Big blocks (few APDUs) and a slow terminal: after the delete, the agent's next journal
    // entry is at least two terminal answers (its re-read) away, a wide window for the kill.
    const port = `sim:zvt?seed=${SEED}&scale=0.02&block=65000&turnaround=60&state=${state}`;
    const env = {
      POSDECOM_KEY_PASSPHRASE: pki.passphrase,
      POSDECOM_SIGN_PASSPHRASE: pki.passphrase,
      ZVT_KILL_DELETE_PW: who.password,
    };
    const args = (...extra: string[]) => [
      'decommission',
      ...['--port', port, '--work-order', workOrder, '--out', out, '--yes'],
      ...signingArgs(pki),
      ...extra,
    ];
    const deleted = (id: number) => () =>
      existsSync(state) &&
      (JSON.parse(readFileSync(state, 'utf8')) as { deletedFiles: number[] }).deletedFiles.includes(id);

    const first = await runUntil(args(), env, deleted(FILE_IDS.customerJournal));
    expect(first.signal, first.output).toBe('SIGKILL');
    const journal = join(out, 'journal.jsonl');
    const before = journalLines(journal);
    const isCustomerErase = (e: { step?: string; target?: string }) =>
      e.step === 'erase' && e.target === 'customer-journal';
    // The window was hit: the erase was begun, the terminal deleted the file, no result was journaled.
    expect(before.some((e) => e.type === 'intent' && isCustomerErase(e))).toBe(true);
    expect(before.some((e) => e.type === 'result' && isCustomerErase(e))).toBe(false);

    const resumed = await runCliKilling(args('--resume', '--record', join(root, 'resumed.jsonl')), env);
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(11);
    expect(resumed.stdout).toMatch(
      /customer-journal is gone already \(deleted by an earlier run of this job\)/,
    );
    // No Delete File of the customer journal (file-id 02) went out in the resumed run.
    const sent = readFileSync(join(root, 'resumed.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { dir?: string; hex?: string; step?: string });
    const deletes = sent.filter((e) => e.dir === 'out' && e.hex?.startsWith('0812'));
    expect(deletes.every((e) => !e.hex!.endsWith('1d0102'))).toBe(true);
    expect(deletes.length).toBe(names.length - 2);

    const entries = journalLines(journal);
    expectBackupsBeforeErases(entries, names);
    const cert = JSON.parse(readFileSync(join(out, 'certificate.json'), 'utf8')) as {
      overall: { result: string };
      steps: { step: string; target?: string; result: string; evidence: Record<string, unknown> }[];
    };
    const erase = cert.steps.find((s) => s.step === 'erase' && s.target === 'customer-journal');
    expect(erase).toMatchObject({ result: 'PASS', evidence: { foundGone: expect.any(String) } });
    expect(
      cert.steps.find((s) => s.step === 'erase-verification' && s.target === 'customer-journal')?.result,
    ).toBe('PASS');
    expect(cert.steps.filter((s) => s.result === 'FAIL')).toEqual([]);
    expect(cert.overall.result).toBe('INCOMPLETE');
    const after = await SimulatedZvtTerminal.create({ seed: SEED, fileScale: 0.02, statePath: state });
    expect(after.snapshot().files.every((f) => f.deleted)).toBe(true);
    await after.close();
  }, 180_000);
});
