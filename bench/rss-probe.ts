/**
 * Loaded with `node --import` into a process whose peak memory is measured: on exit it writes
 * the process's own peak resident set size (getrusage ru_maxrss, the kernel's high-water mark,
 * so no sample can miss the peak) to the file named by POSDECOM_BENCH_RSS_FILE.
 */
import { writeFileSync } from 'node:fs';

const out = process.env.POSDECOM_BENCH_RSS_FILE;
if (out) {
  process.on('exit', () => {
    writeFileSync(out, JSON.stringify({ maxRssKiB: process.resourceUsage().maxRSS }) + '\n');
  });
}
