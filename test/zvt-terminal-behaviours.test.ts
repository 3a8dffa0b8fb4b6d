import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ErrorCode, PosdecomError } from '../protocol/errors.js';
import { createLinkPair } from '../protocol/transport/memory-link.js';
import { ACK, CONFIG, deleteFile, nack } from '../protocol/zvt/codec/commands.js';
import { SerialApduLink } from '../protocol/zvt/link/serial-link.js';
import { SimulatedZvtTerminal, parseZvtFaults } from '../protocol/zvt/terminal/index.js';
import { readWhole, stateFile, TEST_SERIAL, zvtRigs } from './helpers/zvt-rig.js';

const rig = zvtRigs(23);
const LOCKED = CONFIG.ecrPrintsAdminReceipts | CONFIG.ecrControlsPayment | CONFIG.ecrControlsAdmin;

async function rejection(p: Promise<unknown>): Promise<PosdecomError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof PosdecomError) return err;
    throw err;
  }
  throw new Error('expected an error');
}

describe('simulated ZVT terminal: settlement refusals', () => {
  it('aborts End-of-Day with result code B8 and the receipt number while a pre-authorisation is pending', async () => {
    const { client, terminal } = await rig({ sim: { faults: 'preauth' } });
    const records = terminal.snapshot().batchCount;
    const eod = await client.endOfDay();
    expect(eod).toMatchObject({ ok: false, resultCode: 0xb8, resultText: 'error pre-authorisation' });
    expect(!eod.ok && typeof eod.receiptNumber).toBe('number');
    expect(terminal.snapshot()).toMatchObject({ batchCount: records, preauthPending: true });
  });

  it('aborts End-of-Day and Diagnosis with A3 when the host is unreachable, and 77 when it cannot settle', async () => {
    const { client, terminal } = await rig({ sim: { faults: 'hostdown' } });
    expect(await client.endOfDay()).toMatchObject({
      ok: false,
      resultCode: 0xa3,
      resultText: 'no connection',
    });
    expect(await client.diagnosis()).toMatchObject({ ok: false, resultCode: 0xa3 });
    expect(terminal.snapshot().batchCount).toBeGreaterThan(0);
    const { client: c2, terminal: t2 } = await rig({ sim: { faults: 'unsettled', seed: 24 } });
    expect(await c2.endOfDay()).toMatchObject({ ok: false, resultCode: 0x77 });
    expect(t2.snapshot().batchCount).toBeGreaterThan(0);
  });

  it('refuses to reset the terminal-ID while the batch holds turnover (Abort F0)', async () => {
    const { client, terminal } = await rig();
    const tid = terminal.snapshot().tid;
    expect(await client.resetTerminalId()).toMatchObject({ ok: false, resultCode: 0xf0 });
    expect(terminal.snapshot().tid).toBe(tid);
    expect((await client.endOfDay()).ok).toBe(true);
    expect(await client.resetTerminalId()).toMatchObject({ ok: true });
    expect(terminal.snapshot().tid).toBeNull();
  });
});

describe('simulated ZVT terminal: files', () => {
  it('resumes a Read File from the offset reached when the cable was pulled, reading nothing twice', async () => {
    const sim = { faults: 'drop=readfile:3', fileBlockSize: 1000, files: { 2: { size: 10_500 } } };
    const first = await rig({ sim });
    const got: Buffer[] = [];
    const offsets: number[] = [];
    const cut = await rejection(
      first.client.readFile(2, { onBlock: (b) => void (got.push(b.data), offsets.push(b.offset)) }),
    );
    expect(cut.code).toBe(ErrorCode.TransportDisconnected);
    expect(offsets).toEqual([0, 1000, 2000]);
    const again = await rig({ terminal: first.terminal });
    const rest = await again.client.readFile(2, {
      offset: 3000,
      onBlock: (b) => void (got.push(b.data), offsets.push(b.offset)),
    });
    expect(rest).toMatchObject({ kind: 'complete', size: 10_500, bytesRead: 7500 });
    expect(offsets).toEqual([0, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10_000]);
    expect(Buffer.concat(got).equals(first.terminal.fileBytes(2))).toBe(true);
  });

  it('stops a Read File when the ECR answers a block with 84 xx, and takes the next command', async () => {
    const { client } = await rig({ sim: { fileBlockSize: 500, files: { 1: { size: 5000 } } } });
    let blocks = 0;
    const r = await client.readFile(1, { onBlock: () => (++blocks === 2 ? 'stop' : undefined) });
    expect(r).toMatchObject({ kind: 'stopped', size: 5000, nextOffset: 1000 });
    expect(blocks).toBe(2);
    expect((await client.statusEnquiry()).ok).toBe(true);
  });

  it('deletes a file only after the ECR acknowledges the completion', async () => {
    const terminal = await SimulatedZvtTerminal.create({ seed: 23, serial: TEST_SERIAL });
    try {
      const [ours, theirs] = createLinkPair();
      terminal.attach(theirs);
      const ecr = new SerialApduLink(ours, TEST_SERIAL);
      const inbox: Buffer[] = [];
      ecr.onApdu((a) => inbox.push(a));
      await ecr.send(deleteFile(5));
      await expect.poll(() => inbox.length).toBe(2);
      expect(inbox[0]).toEqual(ACK);
      expect(inbox[1]?.subarray(0, 2)).toEqual(Buffer.from([0x06, 0x0f]));
      await ecr.send(nack(0x6c));
      expect(terminal.snapshot().files.find((f) => f.id === 5)?.deleted).toBe(false);
      await ecr.close();
      const { client } = await rig({ terminal, sim: {} });
      expect((await readWhole(client, 5)).result.kind).toBe('complete');
    } finally {
      await terminal.close();
    }
  });

  it('keeps the file when the cable is pulled between the completion and its acknowledgement', async () => {
    const first = await rig({ sim: { faults: 'drop=deletefile:1' } });
    expect((await rejection(first.client.deleteFile(1))).code).toBe(ErrorCode.TransportDisconnected);
    expect(first.terminal.snapshot().files.find((f) => f.id === 1)?.deleted).toBe(false);
    const { client } = await rig({ terminal: first.terminal });
    expect(await client.deleteFile(1)).toMatchObject({ ok: true });
  });

  it('answers 84 83 to Read File and Delete File when the model has no file access', async () => {
    const { client, terminal } = await rig({ sim: { faults: 'nofileaccess' } });
    for (const attempt of [readWhole(client, 1), client.deleteFile(1)]) {
      const err = await rejection(attempt);
      expect(err.code).toBe(ErrorCode.TerminalUnsupported);
      expect(err.context).toMatchObject({ code: '83' });
    }
    expect(terminal.snapshot().files.every((f) => !f.deleted)).toBe(true);
  });
});

describe('simulated ZVT terminal: state and determinism', () => {
  it('is the same terminal in the same state after a restart on the same state file', async () => {
    const statePath = stateFile();
    const first = await rig({ sim: { statePath, seed: 40 } });
    await first.client.register({ configByte: LOCKED });
    expect((await first.client.endOfDay()).ok).toBe(true);
    expect((await first.client.resetTerminalId()).ok).toBe(true);
    expect((await first.client.deleteFile(4)).ok).toBe(true);
    await expect.poll(() => first.terminal.snapshot().files.find((f) => f.id === 4)?.deleted).toBe(true);
    const before = first.terminal.snapshot();
    await first.terminal.close();

    const second = await SimulatedZvtTerminal.create({ seed: 40, statePath });
    try {
      const after = second.snapshot();
      expect({ ...after, requests: {}, link: undefined }).toEqual({
        ...before,
        requests: {},
        link: undefined,
      });
      expect(after).toMatchObject({ tid: null, batchCount: 0, configByte: LOCKED });
      expect(second.workOrderFor()).toEqual(first.terminal.workOrderFor());
    } finally {
      await second.close();
    }
    await expect(SimulatedZvtTerminal.create({ seed: 41, statePath })).rejects.toMatchObject({
      code: ErrorCode.UsageBadFile,
    });
    writeFileSync(statePath, '{"format":"something else"}');
    await expect(SimulatedZvtTerminal.create({ seed: 40, statePath })).rejects.toMatchObject({
      code: ErrorCode.UsageBadFile,
    });
  });

  it('derives serial, TID, password, batch and file contents from its seed', async () => {
    const [a, b, c] = await Promise.all([40, 40, 41].map((seed) => SimulatedZvtTerminal.create({ seed })));
    try {
      expect(a?.workOrderFor()).toEqual(b?.workOrderFor());
      expect(a?.snapshot()).toEqual(b?.snapshot());
      expect(a?.fileBytes(1, 4000, 9000).equals(b?.fileBytes(1, 4000, 9000) ?? Buffer.alloc(0))).toBe(true);
      expect(a?.workOrderFor().serial).not.toBe(c?.workOrderFor().serial);
      expect(a?.workOrderFor().password).toMatch(/^\d{6}$/);
      expect(
        a
          ?.snapshot()
          .files.map((f) => f.size)
          .every((s) => s >= 4096),
      ).toBe(true);
    } finally {
      for (const t of [a, b, c]) await t?.close();
    }
  });

  it('parses its fault text and refuses what it does not know', () => {
    expect(
      parseZvtFaults(
        'crc=0.01,nak=3,slowack=800,drop=readfile:3,drop=readfile:3:2,wait=2,grow=5000,nofileaccess,unsettled,preauth,hostdown',
      ),
    ).toEqual({
      crc: 0.01,
      nak: 3,
      slowAckMs: 800,
      drop: [
        { command: 'readfile', after: 3 },
        { command: 'readfile', after: 3, nth: 2 },
      ],
      wait: 2,
      grow: 5000,
      noFileAccess: true,
      unsettled: true,
      preauth: true,
      hostDown: true,
    });
    for (const bad of [
      'crc=2',
      'nak=-1',
      'drop=readfile',
      'drop=format:1',
      'preauth=1',
      'wait=2,wait=3',
      'drop=readfile:3:0',
      'drop=readfile:3:x',
      'zap',
    ]) {
      expect(() => parseZvtFaults(bad)).toThrow(expect.objectContaining({ code: ErrorCode.UsageInvalid }));
    }
  });
});
