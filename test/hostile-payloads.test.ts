import { deflateRawSync } from 'node:zlib';
import { describe } from 'vitest';
import { encodePayload } from '../protocol/line/payload.js';
import { FAILS_AT_FIRST_REQUEST, hostileCases } from './helpers/hostile-cases.js';
import { frameLine, patched, rawFrame, type Rule } from './helpers/hostile-proxy.js';

/** Frames with a good CRC whose content is malformed: headers, fields, text and payloads (SPEC.md s.3, s.4). */

const reply = (type: string, edit: Required<Rule>['toAgent']): Rule => ({
  toAgent: (p, w) => (p.frame.kind === 'R' && p.frame.type === type ? edit(p, w) : undefined),
});

/** 4 MiB of zeros deflated to about 4 KiB: fits one frame, and would inflate 1000-fold. */
let bombBytes: Buffer | undefined;
const bomb = (): Buffer => (bombBytes ??= deflateRawSync(Buffer.alloc(4 * 1024 * 1024)));

/**
 * The reply's header as JSON text with one field's value replaced by raw bytes: inside the
 * string's quotes, or (`asValue`) as the whole JSON value.
 */
function withRawBytes(
  header: Record<string, unknown>,
  field: string,
  bytes: Buffer,
  asValue = false,
): Buffer {
  const marker = asValue ? '"RAW-BYTES-HERE"' : 'RAW-BYTES-HERE';
  const text = JSON.stringify({ ...header, [field]: 'RAW-BYTES-HERE' });
  const at = text.indexOf(marker);
  return Buffer.concat([
    Buffer.from(text.slice(0, at), 'utf8'),
    bytes,
    Buffer.from(text.slice(at + marker.length), 'utf8'),
  ]);
}

describe('hostile terminal: malformed headers and payloads', () => {
  hostileCases([
    {
      title: 'stops as hostile (exit 4) when the answers to IDENTIFY carry a header that is not JSON',
      rules: () => [reply('IDENTIFY', (p) => rawFrame(p.frame.seq, 'R', 'IDENTIFY', '{"ok":true,"vendor":'))],
      session: FAILS_AT_FIRST_REQUEST,
      exit: 4,
      error: /answered IDENTIFY 4 times with frames that do not answer it \(dropped header-json: 4\)/,
    },
    {
      title: 'stops as hostile (exit 4) when the answers to IDENTIFY carry a JSON array for a header',
      rules: () => [reply('IDENTIFY', (p) => rawFrame(p.frame.seq, 'R', 'IDENTIFY', '[true,"KPS"]'))],
      session: FAILS_AT_FIRST_REQUEST,
      exit: 4,
      error: /answered IDENTIFY 4 times .*header-not-object: 4/,
    },
    {
      title: 'stops as protocol error (exit 4) when IDENTIFY leaves out the serial number',
      rules: () => [reply('IDENTIFY', (p) => patched(p.frame, { serial: undefined }))],
      exit: 4,
      error: /malformed IDENTIFY reply from the terminal: serial is not a string/,
    },
    {
      title: 'stops as protocol error (exit 4) when STATUS gives the batch count as text',
      rules: () => [
        reply('STATUS', (p) =>
          patched(p.frame, { batch: { ...(p.frame.header.batch as object), count: '12' } }),
        ),
      ],
      exit: 4,
      error: /malformed STATUS reply from the terminal: batch\.count is not a whole number/,
    },
    {
      title: 'stops as protocol error (exit 4) when a reply says ok is neither true nor false',
      rules: () => [reply('STATUS', (p) => patched(p.frame, { ok: 'yes' }))],
      exit: 4,
      error: /malformed STATUS reply from the terminal/,
    },
    {
      title:
        'stops as protocol error (exit 4) when a refusal names an error code the protocol does not have, taking it as INTERNAL',
      rules: () => [
        reply('AUTH', (p) =>
          frameLine({ ...p.frame, header: { ok: false, code: 'PWNED', message: 'nothing to see' } }),
        ),
      ],
      exit: 4,
      error: /terminal refused AUTH: PWNED \(unknown code, taken as INTERNAL\)/,
    },
    {
      title: 'stops as protocol error (exit 4) when a refusal carries a code that is no error code at all',
      rules: () => [
        reply('AUTH', (p) =>
          frameLine({ ...p.frame, header: { ok: false, code: 'not a code!', message: 'nothing to see' } }),
        ),
      ],
      exit: 4,
      error: /malformed AUTH reply from the terminal/,
    },
    {
      title: 'stops as protocol error (exit 4) on invalid UTF-8 in the vendor name',
      rules: () => [
        reply('IDENTIFY', (p) =>
          rawFrame(
            p.frame.seq,
            'R',
            'IDENTIFY',
            withRawBytes(p.frame.header, 'vendor', Buffer.of(0x4b, 0xc3, 0x28, 0xff)),
          ),
        ),
      ],
      exit: 4,
      error: /malformed IDENTIFY reply from the terminal: vendor has control or unexpected characters/,
    },
    {
      title: 'stops as protocol error (exit 4) when the firmware name carries terminal escape sequences',
      rules: () => [
        reply('IDENTIFY', (p) => patched(p.frame, { firmware: 'C420 \u001b[2J\u001b]0;owned\u0007' })),
      ],
      exit: 4,
      error: /malformed IDENTIFY reply from the terminal: firmware has control or unexpected characters/,
    },
    {
      title: 'stops as protocol error (exit 4) when a text field is longer than the protocol allows',
      rules: () => [reply('IDENTIFY', (p) => patched(p.frame, { vendor: 'K'.repeat(8_000) }))],
      exit: 4,
      error: /malformed IDENTIFY reply from the terminal: vendor is longer than 64/,
    },
    {
      title: 'stops as protocol error (exit 4) when a field is nested thousands of levels deep',
      rules: () => [
        reply('IDENTIFY', (p) =>
          rawFrame(
            p.frame.seq,
            'R',
            'IDENTIFY',
            withRawBytes(p.frame.header, 'vendor', Buffer.from('['.repeat(5_000) + ']'.repeat(5_000)), true),
          ),
        ),
      ],
      exit: 4,
      error: /malformed IDENTIFY reply from the terminal: vendor is not a string/,
    },
    {
      title: 'stops as protocol error (exit 4) when READ data does not decode in the negotiated encoding',
      rules: () => [
        reply('READ', (p) =>
          frameLine({ ...p.frame, data: Buffer.concat([p.frame.data ?? Buffer.alloc(0), Buffer.from('=')]) }),
        ),
      ],
      exit: 4,
      error: /READ reply at offset \d+ of journal does not decode to the \d+ bytes it declares/,
    },
    {
      title: 'stops as protocol error (exit 4) on a deflate bomb in a READ answer, without inflating it',
      rules: () => [
        reply('READ', (p, w) =>
          frameLine({
            ...p.frame,
            header: { ...p.frame.header, z: 'deflate' },
            data: encodePayload(bomb(), w.enc),
          }),
        ),
      ],
      exit: 4,
      error: /READ reply at offset \d+ of journal does not decode/,
    },
    {
      title: 'stops as protocol error (exit 4) when HELLO answers with a protocol version it was not offered',
      rules: () => [reply('HELLO', (p) => patched(p.frame, { proto: '2.0' }))],
      exit: 4,
      error: /terminal answered HELLO with protocol 2\.0/,
    },
    {
      title: 'stops as protocol error (exit 4) when HELLO grants a window larger than the agent offered',
      rules: () => [reply('HELLO', (p) => patched(p.frame, { window: 64 }))],
      exit: 4,
      error: /terminal answered HELLO with window 64 above our offer/,
    },
  ]);
});
