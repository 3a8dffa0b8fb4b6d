import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The layering rules of .dependency-cruiser.cjs (run by `npm run lint`) fail on a wrong arrow.
 * Each case builds a tiny tree with the house's folder names and one forbidden import, and runs
 * the real depcruise with the real config against it.
 */
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DEPCRUISE = join(ROOT, 'node_modules', '.bin', 'depcruise');
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');
const scratch: string[] = [];
afterAll(() => scratch.forEach((d) => rmSync(d, { recursive: true, force: true })));

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'posdecom-layers-'));
  scratch.push(dir);
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true } }),
  );
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

function cruise(dir: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      DEPCRUISE,
      ['api', 'agent', 'protocol', 'wipe', '--config', CONFIG],
      { cwd: dir },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, output: stdout + stderr }),
    );
  });
}

const BASE = {
  'api/index.ts': "import { load } from '../protocol/transport/sim-registry.js';\nexport const api = load;\n",
  'agent/exit-codes.ts': 'export const ok = 0;\n',
  'agent/commands/go.ts':
    "import type { GoArgs } from '../run/go.js';\nexport const go = (a: GoArgs) => a;\n",
  'agent/run/go.ts': 'export interface GoArgs { x: number }\n',
  'wipe/certificate/build.ts': "import { fine } from '../../protocol/driver.js';\nexport const b = fine;\n",
  'protocol/driver.ts': 'export const fine = 1;\n',
  'protocol/line/session/session.ts': 'export const session = 1;\n',
  'protocol/line/terminal/terminal.ts': 'export const terminal = 1;\n',
  'protocol/transport/sim-registry.ts': "export const load = () => import('../line/terminal/terminal.js');\n",
};

describe('the layering rules', () => {
  it('pass a tree whose arrows all point down', async () => {
    const r = await cruise(tree(BASE));
    expect(r.output).toContain('no dependency violations');
    expect(r.code).toBe(0);
  });

  const cases: [string, string, Record<string, string>][] = [
    [
      'protocol-not-up',
      'protocol/ importing agent/',
      { 'protocol/driver.ts': "import { ok } from '../agent/exit-codes.js';\nexport const fine = ok;\n" },
    ],
    [
      'wipe-not-agent',
      'wipe/ importing agent/',
      {
        'wipe/certificate/build.ts':
          "import { ok } from '../../agent/exit-codes.js';\nexport const b = ok;\n",
      },
    ],
    [
      'agent-reaches-simulators-through-the-registry',
      'agent/ importing a simulated terminal directly',
      {
        'agent/exit-codes.ts':
          "import { terminal } from '../protocol/line/terminal/terminal.js';\nexport const ok = terminal;\n",
      },
    ],
    [
      'simulator-not-agent-side',
      "a simulated terminal importing the agent's session",
      {
        'protocol/line/terminal/terminal.ts':
          "import { session } from '../session/session.js';\nexport const terminal = session;\n",
      },
    ],
    [
      'run-not-commands',
      'agent/run/ importing agent/commands/',
      {
        'agent/run/go.ts':
          "import { go } from '../commands/go.js';\nexport interface GoArgs { x: number }\nexport const again = go;\n",
      },
    ],
    [
      'nothing-imports-api',
      'agent/ importing the public api/',
      { 'agent/exit-codes.ts': "import { api } from '../api/index.js';\nexport const ok = api;\n" },
    ],
    [
      'api-reaches-simulators-through-the-registry',
      'api/ importing a simulated terminal directly',
      {
        'api/index.ts':
          "import { terminal } from '../protocol/line/terminal/terminal.js';\nexport const api = terminal;\n",
      },
    ],
    [
      'no-circular',
      'a circular import',
      {
        'protocol/a.ts': "import { b } from './b.js';\nexport const a = () => b;\n",
        'protocol/b.ts': "import { a } from './a.js';\nexport const b = () => a;\n",
      },
    ],
  ];
  it.each(cases)('fail with %s on %s', async (rule, _what, files) => {
    const r = await cruise(tree({ ...BASE, ...files }));
    expect(r.code).not.toBe(0);
    expect(r.output).toContain(rule);
  });
});
