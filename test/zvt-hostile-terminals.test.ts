import { describe } from 'vitest';
import { ExitCode } from '../agent/exit-codes.js';
import { plainBmp } from '../protocol/zvt/codec/bmp.js';
import {
  ACK,
  completion,
  fileBlock,
  intermediateStatus,
  nack,
  printLine,
} from '../protocol/zvt/codec/commands.js';
import { digitsToBcd, numberToBcd } from '../protocol/zvt/codec/encoding.js';
import { decodeMessage, encodeMessage, type Message } from '../protocol/zvt/codec/message.js';
import { encodeSerialFrame } from '../protocol/zvt/link/serial-frame.js';
import { fileBlockOf, type FileBlock } from '../protocol/zvt/ecr/results.js';
import { zvtHostileCases } from './helpers/zvt-hostile-cases.js';
import type { RuleContext } from './helpers/zvt-hostile-proxy.js';

/**
 * Hostile ZVT terminals (issue 13): each behaviour is a terminal that lies, floods, garbles or
 * leaves something out, and each must end in one clear line with a documented exit code, with
 * nothing deleted after the anomaly and no PASS (helpers/zvt-hostile-cases.ts checks all of it).
 */
const is = (apdu: Buffer, code: string) => apdu.subarray(0, 2).toString('hex') === code;
const m = (apdu: Buffer, sent?: string): Message => {
  const d = decodeMessage(
    apdu,
    sent ? { sentCommand: { cls: parseInt(sent.slice(0, 2), 16), instr: parseInt(sent.slice(2), 16) } } : {},
  );
  if (!d.ok) throw new Error(d.reason);
  return d.message;
};
const blockOf = (apdu: Buffer): FileBlock | undefined =>
  is(apdu, '040f') ? fileBlockOf(m(apdu)) : undefined;
const reblock = (b: FileBlock, o: Partial<FileBlock>) =>
  fileBlock(o.fileId ?? b.fileId, o.offset ?? b.offset, o.size ?? b.size, o.data ?? b.data);

/** Takes a command over while the rule says so: ACK, then what `then` sends; true when taken. */
async function hold(ctx: RuleContext, then: (c: RuleContext) => Promise<void>): Promise<true> {
  ctx.anomaly();
  await ctx.pt.send(ACK);
  await then(ctx).catch(() => undefined);
  return true;
}

/** Sends `apdu` again and again until the agent stops answering (or `max` times). */
async function flood(ctx: RuleContext, apdu: Buffer, max: number): Promise<void> {
  for (let i = 0; i < max; i++) await ctx.pt.exchange(apdu);
}

describe.concurrent(
  'hostile ZVT terminals end in one line, nothing deleted after the anomaly, never PASS',
  () => {
    zvtHostileCases([
      {
        title: 'an End-of-Day that sends intermediate statuses for ever is cut off after 500 (exit 4)',
        rule: () => ({
          takeOver: (c, ctx) => is(c, '0650') && hold(ctx, (x) => flood(x, intermediateStatus(0x17), 2000)),
        }),
        exit: ExitCode.Protocol,
        error: /more than 500 intermediate statuses/,
      },
      {
        title: "a Status Enquiry answered with a Registration's completion is not an identity (exit 4)",
        rule: () => ({
          takeOver: (c, ctx) =>
            is(c, '0501') &&
            hold(ctx, async (x) => {
              await x.pt.exchange(
                completion([plainBmp(0x19, Buffer.from([0])), plainBmp(0x29, digitsToBcd('12345678'))]),
              );
            }),
        }),
        exit: ExitCode.Protocol,
        error: /ZVT Status Enquiry left out the software version/,
      },
      {
        title:
          'a Reset Terminal-ID answered with a Set Terminal-ID completion (a TID) is not an unbind (exit 4)',
        rule: () => ({
          takeOver: (c, ctx) =>
            is(c, '061b') &&
            hold(
              ctx,
              async (x) => void (await x.pt.exchange(completion([plainBmp(0x29, digitsToBcd('87654321'))]))),
            ),
        }),
        exit: ExitCode.Protocol,
        error: /Reset Terminal-ID was answered with TID 87654321/,
      },
      {
        title: 'Read File blocks out of order: a block skipped (exit 4, nothing deleted)',
        rule: () => ({
          terminal: (a, _c, ctx) => {
            const b = blockOf(a);
            if (b?.fileId !== 1 || b.offset !== 2048) return undefined;
            ctx.anomaly();
            return [];
          },
        }),
        exit: ExitCode.Protocol,
        error: /a block at 3072, expected 2048/,
      },
      {
        title: 'a Read File block past the size the terminal announced (exit 4)',
        rule: () => ({
          terminal: (a, _c, ctx) => {
            const b = blockOf(a);
            if (b?.fileId !== 1) return undefined;
            const size = 3000;
            if (b.offset + b.data.length > size) ctx.anomaly();
            return [reblock(b, { size })];
          },
        }),
        exit: ExitCode.Protocol,
        error: /past the announced size 3000/,
      },
      {
        title: 'a Read File block of another file than the one asked for (exit 4)',
        rule: () => ({
          terminal: (a, _c, ctx) => {
            const b = blockOf(a);
            if (b?.fileId !== 1 || b.offset !== 1024) return undefined;
            ctx.anomaly();
            return [reblock(b, { fileId: 2 })];
          },
        }),
        exit: ExitCode.Protocol,
        error: /a block of file 2/,
      },
      {
        title: 'a Read File that completes before the size it announced (exit 4)',
        rule: () => ({
          terminal: (a, _c, ctx) => {
            const b = blockOf(a);
            if (b?.fileId !== 1 || b.offset === 0 || b.offset + b.data.length !== b.size) return undefined;
            ctx.anomaly();
            return [];
          },
        }),
        exit: ExitCode.Protocol,
        error: /the transfer ended at \d+ of \d+ bytes/,
      },
      {
        title:
          'a file that reads differently the second time is not backed up, and nothing is deleted (exit 7)',
        rule: () => {
          let seen = 0;
          return {
            terminal: (a, _c, ctx) => {
              const b = blockOf(a);
              if (b?.fileId !== 1 || b.offset !== 1024 || ++seen !== 2) return undefined;
              ctx.anomaly();
              const data = Buffer.from(b.data);
              data[10] = (data[10] ?? 0) ^ 0x01;
              return [reblock(b, { data })];
            },
          };
        },
        exit: ExitCode.BackupFailed,
        error: /backup failed for merchant-journal; nothing was erased/,
      },
      {
        title: 'a TID that changes between two Status Enquiries with no unbind between (exit 6)',
        rule: () => ({
          terminal: (a, c, ctx) => {
            if (!is(c, '0501') || !is(a, '060f') || ctx.seen('0501') < 2) return undefined;
            ctx.anomaly();
            return [swapTid(a)];
          },
        }),
        exit: ExitCode.Precondition,
        error: /reports TID 99999999, but the terminal reported \d{8} before, with no unbind between/,
      },
      {
        title: 'Delete File answered, but every file is still readable afterwards: erase FAIL (exit 8)',
        rule: () => ({
          takeOver: (c, ctx) =>
            is(c, '0812') &&
            hold(
              ctx,
              async (x) => void (await x.pt.exchange(completion([plainBmp(0x27, Buffer.from([0]))]))),
            ),
        }),
        exit: ExitCode.EraseFailed,
        error: /the terminal answered Delete File, but Read File still gives \d+ bytes of it/,
      },
      {
        title: 'a Reset Terminal-ID that is answered, yet the TID is still reported afterwards (exit 6)',
        rule: () => ({
          takeOver: (c, ctx) =>
            is(c, '061b') && hold(ctx, async (x) => void (await x.pt.exchange(completion()))),
        }),
        exit: ExitCode.Precondition,
        error: /reports TID \d{8}, but the terminal reported none before/,
      },
      {
        title: 'a flood of print lines in one sequence is cut off at the bound (exit 4)',
        rule: () => ({
          takeOver: (c, ctx) =>
            is(c, '0610') && hold(ctx, (x) => flood(x, printLine(0, 'x'.repeat(40)), 5000)),
        }),
        zvt: { timers: { t3Ms: 3000, t4Ms: 5000, maxApdus: 600 } },
        exit: ExitCode.Protocol,
        error: /more than 600 APDUs in one sequence/,
      },
      {
        title: 'garbage on the line instead of an answer: the terminal is silent (exit 3)',
        rule: () => ({
          takeOver: (c, ctx) => {
            if (!is(c, '0501')) return false;
            ctx.anomaly();
            ctx.pt.raw(Buffer.from('ff00fe10027f1003deadbeef00'.repeat(20), 'hex'));
            return true;
          },
        }),
        exit: ExitCode.Transport,
        error: /no 80 00 or 84 xx within T3/,
      },
      {
        title: 'a storm of wrong CRCs: no frame from the terminal is ever good (exit 3)',
        rule: () => ({ attached: (ctx) => ctx.anomaly(), agentLink: { corruptCrc: () => true } }),
        exit: ExitCode.Transport,
        error: /no 80 00 or 84 xx within T3/,
      },
      {
        title: "a storm of NAKs: the terminal refuses every frame of the agent's (exit 3)",
        rule: () => ({ attached: (ctx) => ctx.anomaly(), agentLink: { forceNak: () => true } }),
        exit: ExitCode.Transport,
        error: /not acknowledged|NAK/i,
      },
      {
        title: 'a frame whose LEN claims 65535 bytes it does not carry is refused, then silence (exit 3)',
        rule: () => ({
          takeOver: (c, ctx) => {
            if (!is(c, '0501')) return false;
            ctx.anomaly();
            ctx.pt.raw(encodeSerialFrame(Buffer.from('060fffffff01020304', 'hex'), false));
            return true;
          },
        }),
        exit: ExitCode.Transport,
        error: /no 80 00 or 84 xx within T3/,
      },
      {
        title: 'a Status Enquiry that leaves out the serial number (exit 4, before anything changes)',
        rule: () => ({
          terminal: (a, c, ctx) => {
            if (!is(c, '0501') || !is(a, '060f')) return undefined;
            ctx.anomaly();
            return [withoutTlv(a, '1f4204')];
          },
        }),
        exit: ExitCode.Protocol,
        error: /left out the serial number \(1F42\)/,
      },
      {
        title: 'an End-of-Day completion without its totals (exit 4)',
        rule: () => ({
          terminal: (a, c, ctx) => {
            if (!is(c, '0650') || !is(a, '040f')) return undefined;
            ctx.anomaly();
            return [];
          },
        }),
        exit: ExitCode.Protocol,
        error: /End-of-Day answered without its totals/,
      },
      {
        title: 'End-of-Day totals that are not the batch Send Turnover Totals showed (exit 6)',
        rule: () => ({
          terminal: (a, c, ctx) => {
            if (!is(c, '0650') || !is(a, '040f')) return undefined;
            ctx.anomaly();
            const msg = m(a);
            const bmps = msg.bmps.map((b) => (b.id === 0x04 ? plainBmp(0x04, numberToBcd(1, 6)) : b));
            return [encodeMessage({ ...msg, bmps })];
          },
        }),
        exit: ExitCode.Precondition,
        error: /End-of-Day settled .* but Send Turnover Totals had shown/,
      },
      {
        title: 'a terminal that says "please wait" to End-of-Day for ever (exit 3)',
        rule: () => ({
          takeOver: async (c, ctx) => {
            if (!is(c, '0650')) return false;
            ctx.anomaly();
            await ctx.pt.send(nack(0x9c));
            return true;
          },
        }),
        exit: ExitCode.Transport,
        error: /please wait/,
      },
      {
        title: 'a terminal that is not ready (status not 00) after Reset Terminal: confirm FAIL (exit 8)',
        rule: () => ({
          terminal: (a, c, ctx) => {
            if (!is(c, '0501') || !is(a, '060f') || ctx.seen('0618') === 0) return undefined;
            ctx.anomaly();
            return [withStatus(a, 0x9c)];
          },
        }),
        exit: ExitCode.EraseFailed,
        error: /reports status 9C after Reset Terminal, not 00/,
      },
    ]);
  },
);

/** The Status Enquiry completion with its TID (1F44) changed to 99999999. */
function swapTid(apdu: Buffer): Buffer {
  const at = apdu.indexOf(Buffer.from('1f4404', 'hex'));
  if (at === -1) return apdu;
  const out = Buffer.from(apdu);
  digitsToBcd('99999999').copy(out, at + 3);
  return out;
}

/** Removes a TLV from inside E4 inside BMP 06 and shortens both enclosing lengths. */
function withoutTlv(apdu: Buffer, tagAndLength: string): Buffer {
  const remove = tagAndLength.length / 2 + parseInt(tagAndLength.slice(-2), 16);
  const at = apdu.indexOf(Buffer.from(tagAndLength, 'hex'));
  const out = Buffer.concat([apdu.subarray(0, at), apdu.subarray(at + remove)]);
  const e4 = out.indexOf(Buffer.from([0xe4]));
  out[e4 + 1] = out[e4 + 1]! - remove;
  const bmp06 = out.lastIndexOf(Buffer.from([0x06]), e4);
  out[bmp06 + 1] = out[bmp06 + 1]! - remove;
  out[2] = out[2]! - remove;
  return out;
}

/** The Status Enquiry completion with another status byte. */
function withStatus(apdu: Buffer, status: number): Buffer {
  const msg = m(apdu, '0501');
  return encodeMessage({
    ...msg,
    prefix: msg.prefix.map((f) => (f.name === 'terminalStatus' ? { ...f, bytes: Buffer.from([status]) } : f)),
  });
}
