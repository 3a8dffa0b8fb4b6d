import { describe, expect, it } from 'vitest';
import { ErrorCode, PosdecomError } from '../protocol/errors.js';
import { encodeApdu } from '../protocol/zvt/codec/apdu.js';
import { CONFIG } from '../protocol/zvt/codec/commands.js';
import type { ProgressEvent } from '../protocol/zvt/ecr/index.js';
import { readWhole, zvtRigs } from './helpers/zvt-rig.js';

const rig = zvtRigs(11);
const LOCKED = CONFIG.ecrPrintsAdminReceipts | CONFIG.ecrControlsPayment | CONFIG.ecrControlsAdmin;

async function refusal(p: Promise<unknown>): Promise<PosdecomError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof PosdecomError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

for (const framing of ['serial', 'tcp'] as const) {
  describe(`ZVT ECR commands against the simulated terminal over ${framing}`, () => {
    it('registers with the password, config byte and currency, and learns the TID', async () => {
      const { client, terminal } = await rig({ framing });
      const r = await client.register({ configByte: LOCKED });
      expect(r).toMatchObject({ ok: true, tid: terminal.workOrderFor().tid, currency: 978, statusByte: 0 });
      expect(terminal.snapshot().configByte).toBe(LOCKED);
    });

    it('is refused a wrong password (TerminalAuthFailed) and a wrong currency (84 1E)', async () => {
      const { terminal } = await rig({ framing });
      const wrong = terminal.workOrderFor().password === '000000' ? '111111' : '000000';
      const { client: bad } = await rig({ framing, terminal, client: { password: wrong } });
      const auth = await refusal(bad.register({ configByte: LOCKED }));
      expect(auth.code).toBe(ErrorCode.TerminalAuthFailed);
      expect(auth.message).not.toContain(wrong);
      const { client } = await rig({ framing, terminal });
      const currency = await refusal(client.register({ configByte: LOCKED, currency: 840 }));
      expect(currency.code).toBe(ErrorCode.TerminalRefused);
      expect(currency.context).toMatchObject({ code: '1E' });
      expect(terminal.snapshot().configByte).toBeNull();
    });

    it('reads software version, status, device name, serial and TID by Status Enquiry', async () => {
      const { client, terminal } = await rig({ framing });
      const wo = terminal.workOrderFor();
      expect(await client.statusEnquiry()).toMatchObject({
        ok: true,
        swVersion: wo.swVersion,
        terminalStatus: 0,
        tid: wo.tid,
        deviceName: wo.deviceName,
        serial: wo.serial,
        deviceState: 0,
      });
      const plain = await client.statusEnquiry({ tlv: false });
      expect(plain).toMatchObject({ ok: true, swVersion: wo.swVersion, terminalStatus: 0 });
      expect(plain).not.toHaveProperty('serial');
    });

    it('prints the system configuration as print lines, as a text block, or not at all, per the config byte', async () => {
      const { client } = await rig({ framing });
      await client.register({ configByte: LOCKED });
      const lines = await client.printSystemConfiguration();
      if (!lines.ok) throw new Error('print lines failed');
      expect(lines.receipt.some((l) => l.includes('System configuration'))).toBe(true);
      await client.register({ configByte: LOCKED | CONFIG.textBlocks });
      const block = await client.printSystemConfiguration();
      if (!block.ok) throw new Error('text block failed');
      const withoutTime = (r: string[]) => r.map((l) => l.replace(/\d\d:\d\d:\d\d/, ''));
      expect(withoutTime(block.receipt)).toEqual(withoutTime(lines.receipt));
      await client.register({ configByte: CONFIG.ecrControlsAdmin });
      const none = await client.printSystemConfiguration();
      expect(none.ok && none.receipt).toEqual([]);
    });

    it('settles: turnover totals before, End-of-Day with totals and single totals, an empty batch after', async () => {
      const progress: ProgressEvent[] = [];
      const { client, terminal } = await rig({ framing, client: { onProgress: (e) => progress.push(e) } });
      await client.register({ configByte: LOCKED });
      const records = terminal.snapshot().batchCount;
      const before = await client.sendTurnoverTotals();
      if (!before.ok || !before.totals) throw new Error('no totals');
      expect(terminal.snapshot().batchCount).toBe(records);
      const eod = await client.endOfDay();
      if (!eod.ok || !eod.totals?.singleTotals) throw new Error('End-of-Day failed');
      expect(eod.totals.amount).toBe(before.totals.amount);
      expect(eod.totals.currency).toBe(978);
      expect(eod.totals.singleTotals.groups.reduce((n, g) => n + g.count, 0)).toBe(records);
      expect(eod.totals.singleTotals.groups.reduce((n, g) => n + (g.total ?? 0), 0)).toBe(eod.totals.amount);
      expect(eod.evidence.intermediate).toHaveLength(2);
      expect(eod.evidence.receipt.some((l) => l.includes('End-of-Day'))).toBe(true);
      expect(progress.some((e) => e.type === 'intermediate')).toBe(true);
      expect(progress.some((e) => e.type === 'receipt')).toBe(true);
      expect(terminal.snapshot().batchCount).toBe(0);
      const after = await client.sendTurnoverTotals();
      expect(after.ok && after.totals?.amount).toBe(0);
    });

    it('resets the terminal-ID after settlement, so Status Enquiry and Registration report none', async () => {
      const { client, terminal } = await rig({ framing, sim: { batchRecords: 0 } });
      expect(await client.resetTerminalId()).toMatchObject({ ok: true });
      expect(terminal.snapshot().tid).toBeNull();
      expect(await client.statusEnquiry()).not.toHaveProperty('tid');
      expect(await client.register({ configByte: LOCKED })).not.toHaveProperty('tid');
      expect(await client.setTerminalId('12345678')).toMatchObject({ ok: true, tid: '12345678' });
      expect(terminal.snapshot().tid).toBe('12345678');
    });

    it('reads a file whole, deletes it, and then reads nothing but an Abort', async () => {
      const { client, terminal } = await rig({ framing, sim: { files: { 3: { size: 9000 } } } });
      const { bytes, result } = await readWhole(client, 3);
      expect(result).toMatchObject({ kind: 'complete', size: 9000, bytesRead: 9000 });
      expect(bytes.equals(terminal.fileBytes(3))).toBe(true);
      expect(bytes.toString('latin1')).not.toMatch(/\d{13,}/);
      expect(await client.deleteFile(3)).toMatchObject({ ok: true });
      // The terminal deletes when our 80 00 00 to its completion arrives, a moment after we sent it.
      await expect.poll(() => terminal.snapshot().files.find((f) => f.id === 3)?.deleted).toBe(true);
      expect((await readWhole(client, 3)).result).toMatchObject({ kind: 'aborted', resultCode: 0x83 });
      expect(await client.deleteFile(3)).toMatchObject({ ok: false, resultCode: 0x83 });
    });

    it('runs Diagnosis, Reset Terminal and Log-Off', async () => {
      const { client, terminal } = await rig({ framing });
      await client.register({ configByte: LOCKED });
      const diag = await client.diagnosis();
      expect(diag.ok && diag.evidence.receipt.some((l) => l.includes('Diagnosis'))).toBe(true);
      expect(await client.resetTerminal()).toMatchObject({ ok: true });
      await client.logOff();
      expect(terminal.snapshot().configByte).toBeNull();
      expect(terminal.snapshot().requests).toMatchObject({
        registration: 1,
        diagnosis: 1,
        resetterminal: 1,
        logoff: 1,
      });
    });

    it('answers a command it does not know with 84 83 00', async () => {
      const { client } = await rig({ framing });
      const outcome = await client.engine.run({
        command: encodeApdu(0x06, 0x01, Buffer.from([0x04, 0, 0, 0, 0, 0x10, 0])),
      });
      expect(outcome).toMatchObject({ kind: 'refused', code: 0x83, resultText: 'function not possible' });
    });
  });
}
