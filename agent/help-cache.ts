import { writeFileSync } from 'node:fs';
import { main } from './cli.js';

/**
 * Build step: renders `posdecom --help` once into dist/help.txt. Loading yargs costs more than
 * half of a cold start, so bin/posdecom.js prints this file for a bare --help instead. The text
 * is yargs' own output for the same command definitions, regenerated on every build.
 */
const chunks: string[] = [];
const write = process.stdout.write.bind(process.stdout);
process.stdout.write = ((s: string) => chunks.push(String(s)) > 0) as typeof process.stdout.write;
const code = await main(['--help']);
process.stdout.write = write;
if (code !== 0) throw new Error(`--help exited ${code}`);
writeFileSync(new URL('../help.txt', import.meta.url), chunks.join(''));
