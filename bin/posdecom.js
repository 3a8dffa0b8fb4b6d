#!/usr/bin/env node
// The bin runs the compiled CLI; `npm ci` builds it in `prepare`.
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const wide = !process.stdout.isTTY || (process.stdout.columns ?? 0) >= 100;
let cached;
if (args.length === 1 && args[0] === '--help' && wide) {
  // A bare --help is served from the text the build rendered with yargs (agent/help-cache.ts).
  try {
    cached = readFileSync(new URL('../dist/help.txt', import.meta.url), 'utf8');
  } catch {
    cached = undefined;
  }
}
if (args.length === 1 && args[0] === '--version') {
  // The version is the package's; no need to load the CLI to print it.
  cached = `${JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version}\n`;
}
if (cached !== undefined) {
  process.stdout.write(cached);
} else {
  const { main } = await import('../dist/agent/cli.js');
  process.exitCode = await main(args);
}
