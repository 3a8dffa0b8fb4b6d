import { afterEach, describe, expect, it } from 'vitest';
import { exitCodeFor, ExitCode } from '../agent/exit-codes.js';
import { ErrorCode, isPosdecomError } from '../protocol/errors.js';
import { createLinkPair, type ByteEndpoint } from '../protocol/transport/memory-link.js';
import { ACK, statusEnquiry } from '../protocol/zvt/codec/commands.js';
import { ZvtDriver } from '../protocol/zvt/index.js';
import { ApduReassembler } from '../protocol/zvt/link/tcp-link.js';
import { SimulatedZvtTerminal, type SimZvtOptions } from '../protocol/zvt/terminal/index.js';
import type { Link } from '../protocol/transport/link.js';

/**
 * The ZVT driver against the simulated ZVT terminal, step by step: what each TerminalDriver call
 * sends and what it makes of the answer, as the decommission workflow relies on it.
 */
const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

function linkOver(e: ByteEndpoint): Link {
  return {
    description: 'memory',
    eightBitClean: true,
    byteRate: 872.7,
    get closed() {
      return e.closed;
    },
    write: async (b) => e.write(b),
    onData: (l) => e.onData(l),
    onClose: (l) => e.onClose(() => l(undefined)),
    close: async () => e.close(),
  };
}

async function driverFor(sim: Partial<SimZvtOptions> = {}, framing: 'serial' | 'tcp' = 'serial') {
  const terminal = await SimulatedZvtTerminal.create({ seed: 11, fileScale: 0.02, ...sim });
  open.push(terminal);
  const [ours, theirs] = createLinkPair();
  if (framing === 'tcp') terminal.attachTcp(theirs);
  else terminal.attach(theirs);
  const sent: Buffer[] = [];
  const driver = ZvtDriver.connect(linkOver(ours), {
    framing,
    timers: { t3Ms: 2000, t4Ms: 3000 },
    tap: (dir, apdu) => dir === 'out' && sent.push(apdu),
  });
  open.push(driver);
  return { terminal, driver, sent, password: terminal.workOrderFor().password };
}

const code = (apdu: Buffer) => apdu.subarray(0, 2).toString('hex');

describe('the ZVT driver', () => {
  it('identifies by Status Enquiry without the password: device name, serial, software, TID; no maker, no MID', async () => {
    const { driver, terminal, sent } = await driverFor();
    const id = await driver.identify();
    const who = terminal.workOrderFor();
    expect(id).toMatchObject({
      vendor: 'unknown',
      model: who.deviceName,
      serial: who.serial,
      tid: who.tid,
      mid: null,
    });
    expect(id.firmware).toBe(who.swVersion);
    expect(sent.map(code)).toEqual(['0501', '8000']);
    expect(sent[0]!.toString('hex')).toBe('0501020304');
  });

  it("registers with the password and the config byte that locks the terminal's menus to the ECR", async () => {
    const { driver, terminal, password } = await driverFor();
    await driver.identify();
    const auth = await driver.authorize('ignored', password);
    expect(auth.evidence).toMatchObject({
      configByte: '3C',
      ecrControlsPayment: true,
      ecrControlsAdmin: true,
    });
    expect(terminal.snapshot().configByte).toBe(0x3c);
    const evidence = await driver.identityEvidence();
    expect((evidence.systemConfiguration as string[]).join('\n')).toMatch(/System configuration/);
  });

  it('maps a refused password to an authorization failure (exit 5)', async () => {
    const { driver } = await driverFor();
    const err = await driver.authorize('x', '000001').catch((e: unknown) => e);
    expect(isPosdecomError(err) && err.code).toBe(ErrorCode.TerminalAuthFailed);
    expect(exitCodeFor(err)).toBe(ExitCode.AuthRefused);
  });

  it('lists the files the terminal offers with the size each announces, and reads any range byte for byte', async () => {
    const { driver, terminal, password, sent } = await driverFor();
    await driver.authorize('x', password);
    const stores = await driver.listStores();
    expect(stores.map((s) => [s.name, s.size])).toEqual(
      terminal.snapshot().files.map((f) => [f.name, f.size]),
    );
    expect(stores.every((s) => s.sha256 === '' && s.readable === undefined)).toBe(true);
    sent.length = 0;
    const parts: Buffer[] = [];
    const reached = await driver.readStore(
      'merchant-journal',
      2048,
      4000,
      async (_o, b) => void parts.push(b),
    );
    expect(reached).toBe(4000);
    expect(Buffer.concat(parts).equals(terminal.fileBytes(1, 2048, 4000 - 2048))).toBe(true);
    // The offset goes in TLV 1E; the ECR stops the transfer (84 6C) once it has what it asked for.
    expect(sent[0]!.toString('hex')).toBe('08110d060b2d091d01011e0400000800');
    expect(sent.some((a) => a.toString('hex') === '846c00')).toBe(true);
  });

  it('lists a file again from the size it knows: an unchanged file sends no data, a larger one only its new bytes', async () => {
    const { driver, terminal, password, sent } = await driverFor();
    await driver.authorize('x', password);
    const first = await driver.listStores();
    const served = () => terminal.snapshot().files.map((f) => f.servedBytes);
    const before = served();
    sent.length = 0;
    expect(await driver.listStores()).toEqual(first);
    expect(served()).toEqual(before);
    // Each Read File asked from the size listed before (TLV 1E).
    const asked = sent.filter((a) => code(a) === '0811').map((a) => a.toString('hex'));
    expect(asked).toHaveLength(first.length);
    for (const [i, s] of first.entries())
      expect(asked[i]).toContain(`1e04${s.size.toString(16).padStart(8, '0')}`);
    // A new driver (a resumed job) told of a smaller size gets only the bytes past it.
    const { driver: again, terminal: t2, password: p2 } = await driverFor();
    await again.authorize('x', p2);
    const journal = first.find((s) => s.name === 'merchant-journal')!;
    const known = [{ ...journal, size: journal.size - 100 }];
    const relisted = await again.listStores(['merchant-journal'], known);
    expect(relisted.map((s) => s.size)).toEqual([journal.size]);
    expect(t2.snapshot().files.find((f) => f.name === 'merchant-journal')!.servedBytes).toBe(100);
  });

  it('asks from byte 0 again when the terminal aborts a read from the size it was told', async () => {
    const { driver, terminal, password } = await driverFor();
    await driver.authorize('x', password);
    const truth = terminal.snapshot().files.find((f) => f.name === 'reconciliation')!;
    const known = [
      {
        name: 'reconciliation',
        kind: 'journal',
        size: truth.size + 5000,
        records: 0,
        sha256: '',
        cardData: true,
        erased: false,
      } as const,
    ];
    const stores = await driver.listStores(['reconciliation'], known);
    expect(stores.map((s) => [s.name, s.size])).toEqual([['reconciliation', truth.size]]);
  });

  it('shows a terminal without file access as one store it does not give out', async () => {
    const { driver, password } = await driverFor({ faults: 'nofileaccess' });
    await driver.authorize('x', password);
    expect(await driver.listStores()).toEqual([
      expect.objectContaining({ name: 'files', readable: false, size: 0 }),
    ]);
  });

  it('settles with End-of-Day after Send Turnover Totals, and the two must agree', async () => {
    const { driver, terminal, password } = await driverFor({ batchRecords: 4 });
    await driver.authorize('x', password);
    const before = await driver.status();
    expect(before.batch).toMatchObject({ open: true, count: 4 });
    const settled = await driver.settle('op');
    expect(settled.count).toBe(4);
    expect(settled.totals).toEqual(before.batch.totals);
    expect((await driver.status()).batch).toMatchObject({ open: false, count: 0 });
    expect(terminal.snapshot().batchCount).toBe(0);
  });

  it("reports an End-of-Day Abort as a refusal with its result code and the pre-authorisation's receipt", async () => {
    const { driver, password } = await driverFor({ faults: 'preauth' });
    await driver.authorize('x', password);
    await driver.status();
    const err = await driver.settle('op').catch((e: unknown) => e);
    expect(isPosdecomError(err) && err.code).toBe(ErrorCode.TerminalRefused);
    expect(isPosdecomError(err) && err.context).toMatchObject({
      code: 'B8',
      receiptNumber: expect.any(Number),
    });
  });

  it('deletes a file and a fresh listing of it finds it gone; resets the TID; confirms, then sends nothing', async () => {
    const { driver, terminal, password, sent } = await driverFor({ batchRecords: 0 });
    await driver.authorize('x', password);
    await driver.listStores();
    await driver.deleteStore('op', 'reconciliation');
    expect(await driver.listStores(['reconciliation'])).toEqual([]);
    expect(terminal.snapshot().files.find((f) => f.id === 3)?.deleted).toBe(true);
    await driver.unbind('op');
    expect((await driver.identify()).tid).toBeNull();
    const end = await driver.finalize('op');
    expect(end).toMatchObject({ safeToPowerOff: true, evidence: { terminalStatus: '00', loggedOff: true } });
    expect(
      sent
        .map(code)
        .filter((c) => c !== '8000')
        .slice(-3),
    ).toEqual(['0618', '0501', '0602']);
    const count = sent.length;
    expect((await driver.identify()).tid).toBeNull();
    expect(sent.length).toBe(count);
    expect(terminal.snapshot().configByte).toBeNull();
  });

  it('says what ZVT has no standard command for', async () => {
    const { driver } = await driverFor();
    for (const attempt of [driver.keys(), driver.zeroize(), driver.setChannel(), driver.setLink()]) {
      const err = await attempt.catch((e: unknown) => e);
      expect(isPosdecomError(err) && err.code).toBe(ErrorCode.TerminalUnsupported);
      expect(String((err as Error).message)).toMatch(/^ZVT has no standard command to /);
    }
    expect(driver.capabilities.measures).toMatchObject({
      'disable-acceptance': null,
      'network-down': null,
      'key-zeroization': null,
    });
  });

  it('works the same over native TCP framing', async () => {
    const { driver, password } = await driverFor({}, 'tcp');
    await driver.identify();
    await driver.authorize('x', password);
    expect((await driver.listStores()).length).toBe(5);
  });
});

describe('the simulated terminal over TCP', () => {
  it("takes the ECR's last 80 00 00 and its next command when both arrive in one segment", async () => {
    const terminal = await SimulatedZvtTerminal.create({ seed: 3 });
    open.push(terminal);
    const [ecr, theirs] = createLinkPair();
    terminal.attachTcp(theirs);
    const got: Buffer[] = [];
    let waiting: { n: number; resolve: () => void } | undefined;
    const reassembler = new ApduReassembler((a) => {
      got.push(a);
      if (waiting && got.length >= waiting.n) waiting.resolve();
    });
    ecr.onData((b) => reassembler.push(b));
    const until = (n: number) =>
      new Promise<void>((resolve) => (got.length >= n ? resolve() : (waiting = { n, resolve })));
    ecr.write(statusEnquiry({ serviceByte: 4 }));
    await until(2);
    ecr.write(Buffer.concat([ACK, statusEnquiry({})]));
    await until(4);
    expect(got.map(code)).toEqual(['8000', '060f', '8000', '060f']);
    expect(terminal.snapshot().protocolErrors).toBe(0);
    ecr.write(ACK);
    ecr.close();
  });
});
