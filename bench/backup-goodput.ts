import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { LineProtocolDriver } from '../protocol/line/driver.js';
import type { StoreInfo } from '../protocol/domain.js';
import type { PortSettings } from '../protocol/transport/port-spec.js';
import type { Compression } from '../protocol/line/payload.js';
import { forgetSimulatedTerminals, registerSimulatedTerminal } from '../protocol/transport/sim-registry.js';
import { openLink } from '../protocol/transport/open-link.js';
import { SimulatedTerminal } from '../protocol/line/terminal/index.js';
import type { Channel } from '../protocol/domain.js';
import { backupStore, type StoreBackupResult } from '../wipe/backup/store-backup.js';
import type { Recipient } from '../wipe/cms/encrypt.js';
import { FingerprintKey } from '../wipe/erasure/fingerprints.js';

/**
 * One store backed up through the agent's real pipeline, against an in-process simulated
 * terminal paced like a serial line:
 *
 *   SimulatedTerminal(baud, turnaround) <- sim: port (SerialPortStream + EndpointBinding)
 *     -> Session (HELLO, window) -> bulkRead -> backupStore (sha256, fingerprints, CMS) -> temp dir
 *
 * Only backupStore is timed: HELLO, IDENTIFY and STORES are the session's fixed cost, not the
 * transfer's. For incompressible content the store is crypto-erased first, over the same
 * session: what READ then returns is the simulator's AES-CTR keystream (SPEC.md s.6.11), which
 * no compressor shrinks.
 */
export interface GoodputOptions {
  store: string;
  size: number;
  random: boolean;
  baud: number;
  turnaroundMs: number;
  settings: PortSettings;
  compression?: Compression[];
  recipient: Recipient & { sha256Fingerprint: string };
  seed?: number;
}

export interface GoodputResult {
  store: string;
  bytes: number;
  seconds: number;
  bytesPerSecond: number;
  /** bytesPerSecond / (baud / 10): the raw 8N1-equivalent line rate. */
  ratio: number;
  enc: string;
  z: string;
  maxLine: number;
  window: number;
  retransmits: number;
  framesIn: number;
  wireBytesIn: number;
}

export async function measureGoodput(o: GoodputOptions): Promise<GoodputResult> {
  const seed = o.seed ?? 7;
  const port = `sim:countertop?seed=${seed}&baud=${o.baud}&turnaround=${o.turnaroundMs}`;
  const terminal = await SimulatedTerminal.create({
    model: 'countertop',
    seed,
    baud: o.baud,
    turnaroundMs: o.turnaroundMs,
    storeSizes: { [o.store]: o.size },
  });
  registerSimulatedTerminal(port, terminal);
  const dir = await mkdtemp(join(tmpdir(), 'posdecom-bench-goodput-'));
  let driver: LineProtocolDriver | undefined;
  try {
    const link = await openLink(port, o.settings);
    let wireBytesIn = 0;
    link.onData((b) => (wireBytesIn += b.length));
    driver = await LineProtocolDriver.connect(link, {
      agent: 'posdecom-bench',
      ...(o.compression ? { compression: o.compression } : {}),
    });
    const d = driver;
    if (o.random) await cryptoErase(d, o.store, terminal.authorityCode);
    const info = (await d.listStores()).find((s) => s.name === o.store);
    if (!info) throw new Error(`the simulated terminal has no store ${o.store}`);
    const framesBefore = d.session.counters.framesIn;
    const wireBefore = wireBytesIn;
    const started = performance.now();
    const result: StoreBackupResult = await backupStore(info, {
      backupDir: dir,
      index: 1,
      recipient: o.recipient,
      fingerprints: { key: FingerprintKey.generate(), dir },
      read: (store, from, size, sink) => d.readStore(store, from, size, sink),
    });
    const seconds = (performance.now() - started) / 1000;
    if (result.status !== 'ok') throw new Error(`backup of ${o.store} failed: ${result.error ?? ''}`);
    const n = d.session.negotiated!;
    const bytesPerSecond = info.size / seconds;
    return {
      store: o.store,
      bytes: info.size,
      seconds,
      bytesPerSecond,
      ratio: bytesPerSecond / (o.baud / 10),
      enc: n.enc,
      z: n.z,
      maxLine: n.maxLine,
      window: n.window,
      retransmits: d.session.counters.retransmits,
      framesIn: d.session.counters.framesIn - framesBefore,
      wireBytesIn: wireBytesIn - wireBefore,
    };
  } finally {
    await driver?.close().catch(() => undefined);
    await terminal.close();
    forgetSimulatedTerminals();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Crypto-erases `store` so it holds pseudo-random bytes; acceptance must be off first (s.6.11). */
async function cryptoErase(d: LineProtocolDriver, store: string, code: string): Promise<StoreInfo[]> {
  const id = await d.identify();
  await d.authorize(id.serial, code);
  for (const c of d.capabilities.channels) await d.setChannel(c as Channel, false);
  const op = `bench:erase:${store}`;
  let p = await d.startErase(op, store, 'crypto');
  while (p.state === 'running') {
    await new Promise((r) => setTimeout(r, 50));
    p = await d.eraseStatus(op);
  }
  if (p.state !== 'done') throw new Error(`crypto erase of ${store} ended ${p.state}`);
  return d.listStores();
}
