import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';

export interface Spawned {
  code: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

/** Runs `node args...` to completion, timing it from spawn to exit. */
export function runNode(
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 240_000,
): Promise<Spawned> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, seconds: (performance.now() - started) / 1000 });
    });
  });
}

/** The last line of stdout as JSON, or a readable failure naming what the child said. */
export function lastJson<T>(r: Spawned, what: string): T {
  const line = r.stdout.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(line) as T;
  } catch {
    throw new Error(`${what} exited ${r.code} without a JSON result: ${r.stderr.trim().slice(-600)}`);
  }
}
