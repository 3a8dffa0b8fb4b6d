import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

/**
 * What `npm pack` ships (package.json `files`): built code, the two public entry points and
 * their declarations, the certificate schemas and PDF fonts, README, LICENSE and the protocol SPEC; never
 * tests, fixtures, examples, benchmarks, source maps or demo output. `npm test` builds first,
 * so dist/ is what would be packed. (examples/integrator/ installs the real tarball in CI.)
 */
const ROOT = fileURLToPath(new URL('..', import.meta.url));
let files: string[];
let pkg: {
  license: string;
  exports: Record<string, { types: string; default: string } | string>;
  types: string;
};

beforeAll(async () => {
  const { stdout } = await promisify(execFile)('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: ROOT,
  });
  files = (JSON.parse(stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
  pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as typeof pkg;
}, 60_000);

describe('the published package', () => {
  it('holds only built code, declarations, schemas, the PDF fonts, SPEC, README and LICENSE', () => {
    const allowed = [
      /^bin\/posdecom\.js$/,
      /^dist\/(api|agent|protocol|wipe)\/.+\.js$/,
      /^dist\/help\.txt$/,
      /^dist\/types\/api\/[a-z-]+\.d\.ts$/,
      /^wipe\/certificate\/(v1\/)?certificate\.schema\.json$/,
      /^wipe\/certificate\/pdf\/fonts\/(DejaVuSans(-Bold)?\.ttf|LICENSE)$/,
      /^protocol\/line\/SPEC\.md$/,
      /^(README\.md|LICENSE|package\.json)$/,
    ];
    expect(files.filter((f) => !allowed.some((re) => re.test(f)))).toEqual([]);
    const unwanted =
      /(^|\/)(test|fixtures?|examples?|bench|posdecom-demo[^/]*)(\/|$)|\.test\.|\.map$|(?<!\.d)\.ts$/;
    expect(files.filter((f) => unwanted.test(f))).toEqual([]);
    for (const needed of [
      'LICENSE',
      'README.md',
      'protocol/line/SPEC.md',
      'wipe/certificate/certificate.schema.json',
    ])
      expect(files).toContain(needed);
  });

  it('is Apache-2.0, with the licence text beside it', async () => {
    expect(pkg.license).toBe('Apache-2.0');
    const text = await readFile(new URL('../LICENSE', import.meta.url), 'utf8');
    expect(text).toContain('Apache License');
    expect(text).toContain('Version 2.0, January 2004');
    expect(text).toContain('END OF TERMS AND CONDITIONS');
  });

  it('exports posdecom and posdecom/simulator, each with declarations that import nothing internal', async () => {
    expect(Object.keys(pkg.exports)).toEqual(['.', './simulator', './package.json']);
    for (const entry of ['.', './simulator'] as const) {
      const target = pkg.exports[entry] as { types: string; default: string };
      expect(files).toContain(target.default.replace(/^\.\//, ''));
      expect(files).toContain(target.types.replace(/^\.\//, ''));
    }
    for (const dts of files.filter((f) => f.endsWith('.d.ts'))) {
      const text = await readFile(new URL(`../${dts}`, import.meta.url), 'utf8');
      const imports = [...text.matchAll(/from '([^']+)'/g)].map((m) => m[1]!);
      expect(
        imports.filter((i) => !/^\.\/[a-z-]+\.js$/.test(i) && !i.startsWith('node:')),
        dts,
      ).toEqual([]);
    }
  });
});
