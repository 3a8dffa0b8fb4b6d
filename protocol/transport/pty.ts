import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode, PosdecomError } from '../errors.js';

/**
 * A pseudo-terminal pair made by socat: what a null-modem cable between two serial ports is,
 * in software. (node-pty is not used: its open() object has pid -1 and destroy() signals
 * every process.) `agentPath` is the symlink the agent opens; `terminalPath` the other end.
 */
export interface PtyPair {
  agentPath: string;
  terminalPath: string;
  close(): Promise<void>;
}

export async function createPtyPair(agentPath: string, timeoutMs = 5000): Promise<PtyPair> {
  const scratch = mkdtempSync(join(tmpdir(), 'posdecom-pty-'));
  const terminalPath = join(scratch, 'terminal');
  let child: ChildProcess;
  try {
    // ignoreeof on the agent side: the agent may open and close the port many times.
    child = spawn(
      'socat',
      [`pty,raw,echo=0,link=${agentPath},ignoreeof`, `pty,raw,echo=0,link=${terminalPath}`],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
  } catch (err) {
    rmSync(scratch, { recursive: true, force: true });
    throw new PosdecomError(ErrorCode.TransportOpenFailed, `cannot start socat: ${(err as Error).message}`);
  }
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (err) =>
      reject(
        new PosdecomError(
          ErrorCode.TransportOpenFailed,
          `cannot start socat (install it: apt-get install socat): ${err.message}`,
        ),
      ),
    );
    child.once('exit', (code) =>
      reject(new PosdecomError(ErrorCode.TransportOpenFailed, `socat exited (${code}): ${stderr.trim()}`)),
    );
  });
  failed.catch(() => undefined);
  const deadline = Date.now() + timeoutMs;
  while (!(existsSync(agentPath) && existsSync(terminalPath))) {
    if (Date.now() > deadline) {
      child.kill('SIGTERM');
      throw new PosdecomError(ErrorCode.TransportOpenFailed, `socat did not create ${agentPath} in time`);
    }
    await Promise.race([new Promise((r) => setTimeout(r, 20)), failed]);
  }
  return {
    agentPath,
    terminalPath,
    close: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 2000))]);
      }
      rmSync(scratch, { recursive: true, force: true });
    },
  };
}
