import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import type { Clock } from '../../protocol/clock.js';
import { createLinkPair, type ByteEndpoint } from '../../protocol/transport/memory-link.js';
import { ZvtClient, type ZvtClientOptions } from '../../protocol/zvt/ecr/index.js';
import type { SequenceTimers } from '../../protocol/zvt/ecr/options.js';
import type { ApduLink } from '../../protocol/zvt/link/apdu-link.js';
import { SerialApduLink, type SerialTimers } from '../../protocol/zvt/link/serial-link.js';
import { TcpApduLink } from '../../protocol/zvt/link/tcp-link.js';
import { SimulatedZvtTerminal, type SimZvtOptions } from '../../protocol/zvt/terminal/index.js';

/**
 * The ZVT tests drive the real ECR client against the simulated terminal over an in-memory
 * cable, in either framing. This makes a file's rigs and closes them after each test.
 */
export type Framing = 'serial' | 'tcp';

export interface Rig {
  terminal: SimulatedZvtTerminal;
  client: ZvtClient;
  link: ApduLink;
  /** The ECR's end of the cable, for tests that listen to raw bytes. */
  wire: ByteEndpoint;
  password: string;
}

export interface RigOptions {
  framing?: Framing;
  sim?: Partial<SimZvtOptions>;
  /** ECR sequence timers; the defaults here are shortened for tests. */
  timers?: Partial<SequenceTimers>;
  serial?: Partial<SerialTimers>;
  client?: Partial<ZvtClientOptions>;
  /** Attach to an existing terminal (a restart keeps it) instead of making one. */
  terminal?: SimulatedZvtTerminal;
  /** The line clock of both ends' serial links and of the terminal (a test/helpers/manual-clock.ts). */
  clock?: Clock;
}

/** Shortened so a failing test fails in a second, not in minutes; generous for a loaded machine. */
export const TEST_TIMERS: Partial<SequenceTimers> = { t3Ms: 2_000, t4Ms: 3_000, pleaseWaitMs: 50 };
/**
 * The spec's T2 (5 s): over an in-memory cable an ACK comes at once, so only a loaded machine
 * could make a shorter wait expire, repeat a frame and fail a test that is not about T2. Waiting
 * longer costs nothing when the ACK comes. Tests of T2 itself set it, on a hand-driven clock.
 */
export const TEST_SERIAL: Partial<SerialTimers> = { t1Ms: 200, t2Ms: 5_000 };

export function zvtRigs(seed: number): (o?: RigOptions) => Promise<Rig> {
  const terminals: SimulatedZvtTerminal[] = [];
  const links: ApduLink[] = [];
  afterEach(async () => {
    for (const l of links.splice(0)) await l.close();
    for (const t of terminals.splice(0)) await t.close();
  });
  return async (o = {}) => {
    const terminal =
      o.terminal ??
      (await SimulatedZvtTerminal.create({
        seed,
        serial: TEST_SERIAL,
        ecrReplyTimeoutMs: 2_000,
        ...(o.clock ? { lineClock: o.clock } : {}),
        ...o.sim,
      }));
    if (!o.terminal) terminals.push(terminal);
    const [wire, theirs] = createLinkPair();
    const framing = o.framing ?? 'serial';
    if (framing === 'tcp') terminal.attachTcp(theirs);
    else terminal.attach(theirs);
    const link =
      framing === 'tcp'
        ? new TcpApduLink(wire)
        : new SerialApduLink(wire, { ...TEST_SERIAL, ...o.serial, ...(o.clock ? { clock: o.clock } : {}) });
    links.push(link);
    const password = terminal.workOrderFor().password;
    const client = new ZvtClient(link, { password, timers: { ...TEST_TIMERS, ...o.timers }, ...o.client });
    return { terminal, client, link, wire, password };
  };
}

export function stateFile(): string {
  return join(mkdtempSync(join(tmpdir(), 'posdecom-zvt-')), 'terminal.json');
}

/** Reads a whole file through the client, from `offset`. */
export async function readWhole(
  client: ZvtClient,
  fileId: number,
  offset = 0,
): Promise<{ bytes: Buffer; result: Awaited<ReturnType<ZvtClient['readFile']>> }> {
  const parts: Buffer[] = [];
  const result = await client.readFile(fileId, { offset, onBlock: (b) => void parts.push(b.data) });
  return { bytes: Buffer.concat(parts), result };
}
