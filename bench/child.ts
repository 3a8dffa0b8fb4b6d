/**
 * One paced goodput measurement in a fresh process, so no measurement inherits another's heap,
 * timers or JIT state: `node dist/bench/child.js '<ChildRequest JSON>'` prints one JSON line.
 */
import { loadRecipient } from '../wipe/cms/encrypt.js';
import { parseSettings } from '../protocol/transport/port-spec.js';
import type { Compression } from '../protocol/line/payload.js';
import { measureGoodput } from './backup-goodput.js';

export interface ChildRequest {
  store: string;
  size: number;
  random: boolean;
  baud: number;
  turnaroundMs: number;
  dataBits: 7 | 8;
  parity: 'none' | 'even' | 'odd';
  compression?: Compression[];
  recipientCertPath: string;
}

const request = JSON.parse(process.argv[2] ?? '{}') as ChildRequest;
const result = await measureGoodput({
  store: request.store,
  size: request.size,
  random: request.random,
  baud: request.baud,
  turnaroundMs: request.turnaroundMs,
  // The agent's settings and the simulator's pacing must describe the same line: both at
  // `baud`, 10 bit-times a byte (8N1, or 7E1 for the 7-bit link).
  settings: parseSettings({ baud: request.baud, dataBits: request.dataBits, parity: request.parity }),
  ...(request.compression ? { compression: request.compression } : {}),
  recipient: await loadRecipient(request.recipientCertPath),
});
process.stdout.write(JSON.stringify(result) + '\n');
