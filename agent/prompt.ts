import { createInterface } from 'node:readline/promises';
import { ErrorCode, PosdecomError } from '../protocol/errors.js';

/** Asks the technician to confirm on the TTY; without a TTY there is nobody to ask. */
export async function confirmOnTty(plan: string, question: string): Promise<boolean> {
  if (!process.stdin.isTTY) {
    throw new PosdecomError(
      ErrorCode.UsageInvalid,
      'no terminal to ask for confirmation on: pass --yes to go ahead',
    );
  }
  process.stderr.write(plan);
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}
