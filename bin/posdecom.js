#!/usr/bin/env node
// The bin runs the compiled CLI; `npm ci` builds it in `prepare`.
import { main } from '../dist/agent/cli.js';

process.exitCode = await main(process.argv.slice(2));
