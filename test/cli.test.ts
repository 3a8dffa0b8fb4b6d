import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';

describe('the posdecom command line', () => {
  it('prints help listing every command, and its version', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    for (const c of ['demo', 'decommission', 'backup', 'identify', 'ports', 'simulate', 'ca', 'verify']) {
      expect(help.stdout).toContain(`posdecom ${c}`);
    }
    const version = await runCli(['--version']);
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(version.stdout.trim()).toBe(pkg.version);
  });

  it('serves a bare --help from the build-time copy, identical to what yargs renders now', async () => {
    const cached = await runCli(['--help']);
    const cli = new URL('../dist/agent/cli.js', import.meta.url).href;
    const live = execFileSync(process.execPath, [
      '--input-type=module',
      '-e',
      `const m = await import(${JSON.stringify(cli)}); process.exitCode = await m.main(['--help']);`,
    ]).toString();
    expect(cached.stdout).toBe(live);
  });

  it("shows a command's help without running it", async () => {
    const r = await runCli(['demo', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Rehearse a whole decommission/);
    expect(r.stdout).not.toMatch(/throw-away organisation PKI in/);
  });

  it('rejects an unknown flag in one line with exit 2, before doing anything', async () => {
    const r = await runCli(['identify', '--port', 'sim:countertop', '--bogus']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('posdecom: Unknown argument: bogus\n');
    expect(r.stdout).toBe('');
  });

  it('rejects a malformed port and unknown simulator parameters with exit 2', async () => {
    const a = await runCli(['identify', '--port', 'tcp://nohost']);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/^posdecom: --port tcp:\/\/nohost: expected tcp:\/\/host:port\n$/);
    const b = await runCli(['identify', '--port', 'sim:countertop?nonsense=1']);
    expect(b.code).toBe(2);
    expect(b.stderr).toBe('posdecom: --port sim: unknown parameter nonsense\n');
  });

  it('an unknown simulated model is an unknown port (exit 3)', async () => {
    const r = await runCli(['identify', '--port', 'sim:toaster']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/no such simulated terminal model: toaster/);
  });

  it('identifies a simulated terminal', async () => {
    const r = await runCli(['identify', '--port', 'sim:unattended?seed=4']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/serial \S+/);
    expect(r.stdout).toMatch(/acceptance: on: nfc/);
  });

  it('a missing work order file is one line, exit 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'posdecom-cli-'));
    const r = await runCli([
      'decommission',
      '--port',
      'sim:countertop',
      '--work-order',
      join(dir, 'missing.json'),
      '--out',
      dir,
      '--yes',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^posdecom: cannot read work order .*missing\.json: ENOENT\n$/);
  });

  it('a bad work order names the field', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'posdecom-cli-'));
    const wo = join(dir, 'wo.json');
    await import('node:fs/promises').then((fs) => fs.writeFile(wo, JSON.stringify({ id: 'x' })));
    const r = await runCli([
      'decommission',
      '--port',
      'sim:countertop',
      '--work-order',
      wo,
      '--out',
      join(dir, 'out'),
      '--yes',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`posdecom: work order ${wo}: terminal is missing\n`);
  });
});
