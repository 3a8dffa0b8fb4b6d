/**
 * The untagged fields some APDUs carry before their BMPs (PA00P015 ch. 2 and 3), and which
 * layout a frame's data has. Optional untagged fields make a frame ambiguous (is `03 92` after a
 * Registration's config byte the yen, or BMP 03 with service byte 92?), so a command lists its
 * readings in order of likelihood and the decoder takes the first that accounts for every byte.
 *
 *   06 00  password(3 BCD) config-byte [currency(2 BCD)] BMPs      Registration
 *   05 01  [password(3)] BMPs                                       Status Enquiry
 *   06 10 06 12 06 1B 06 20 06 30 06 31 06 50 06 93 08 14
 *          password(3) BMPs                                         commands with a password
 *   06 C0  timeout(1) BMPs                                          Read Card
 *   04 FF  status(1) [timeout(1, BCD minutes)] BMPs                 Intermediate Status
 *   06 1E  result-code(1) [currency(2) when 6F] BMPs                Abort
 *   06 D1  attribute(1) text                                        Print Line (no BMPs)
 *   06 0F  after 05 01: sw-version(LLLVAR) status(1) BMPs; after a vendor command (0F xx):
 *          opaque; otherwise BMPs                                   Completion
 *   0F xx and unknown classes: opaque
 */
export type PrefixName =
  | 'password'
  | 'configByte'
  | 'currency'
  | 'resultCode'
  | 'status'
  | 'timeout'
  | 'timeoutSeconds'
  | 'attribute'
  | 'text'
  | 'swVersion'
  | 'terminalStatus';

export type PrefixPart =
  { name: PrefixName; size: number } | { name: PrefixName; lll: true } | { name: PrefixName; rest: true };

export type Layout = 'bmp' | 'status-enquiry-completion' | 'print-line' | 'opaque';

export interface LayoutChoice {
  layout: Layout;
  /** Readings of the untagged part, most likely first. */
  readings: PrefixPart[][];
}

export interface DecodeContext {
  /** The command this frame answers: chooses the layout of 06 0F. */
  sentCommand?: { cls: number; instr: number };
}

const pw: PrefixPart = { name: 'password', size: 3 };
const PASSWORD_COMMANDS = new Set([0x0610, 0x0612, 0x061b, 0x0620, 0x0630, 0x0631, 0x0650, 0x0693, 0x0814]);
const KNOWN_CLASSES = new Set([0x04, 0x05, 0x06, 0x08, 0x80, 0x84]);
const BMP_START = new Set([0x03, 0x06]);

export function chooseLayout(
  cls: number,
  instr: number,
  data: Buffer,
  ctx: DecodeContext = {},
): LayoutChoice {
  const code = cls * 256 + instr;
  const bmp = (...readings: PrefixPart[][]): LayoutChoice => ({ layout: 'bmp', readings });
  if (!KNOWN_CLASSES.has(cls)) return { layout: 'opaque', readings: [] };
  if (PASSWORD_COMMANDS.has(code)) return bmp([pw], []);
  switch (code) {
    case 0x0600: {
      const withCurrency = [
        pw,
        { name: 'configByte', size: 1 },
        { name: 'currency', size: 2 },
      ] as PrefixPart[];
      const without = withCurrency.slice(0, 2);
      return BMP_START.has(data[4] ?? -1) ? bmp(without, withCurrency) : bmp(withCurrency, without);
    }
    case 0x0501:
      return BMP_START.has(data[0] ?? -1) ? bmp([], [pw]) : bmp([pw], []);
    case 0x06c0:
      return bmp([{ name: 'timeoutSeconds', size: 1 }], []);
    case 0x04ff:
      return bmp(
        [
          { name: 'status', size: 1 },
          { name: 'timeout', size: 1 },
        ],
        [{ name: 'status', size: 1 }],
      );
    case 0x061e: {
      const rc: PrefixPart = { name: 'resultCode', size: 1 };
      return data[0] === 0x6f ? bmp([rc, { name: 'currency', size: 2 }], [rc]) : bmp([rc]);
    }
    case 0x06d1:
      return {
        layout: 'print-line',
        readings: [
          [
            { name: 'attribute', size: 1 },
            { name: 'text', rest: true },
          ],
        ],
      };
    case 0x060f:
      return completionLayout(ctx);
    default:
      return bmp([]);
  }
}

function completionLayout(ctx: DecodeContext): LayoutChoice {
  const sent = ctx.sentCommand;
  if (sent?.cls === 0x0f) return { layout: 'opaque', readings: [] };
  if (sent?.cls === 0x05 && sent.instr === 0x01) {
    return {
      layout: 'status-enquiry-completion',
      readings: [
        [
          { name: 'swVersion', lll: true },
          { name: 'terminalStatus', size: 1 },
        ],
        [],
      ],
    };
  }
  return { layout: 'bmp', readings: [[]] };
}

const NAMES: Record<number, string> = {
  0x0401: 'set-time-and-date',
  0x040c: 'request-for-data',
  0x040f: 'status-information',
  0x04ff: 'intermediate-status',
  0x0501: 'status-enquiry',
  0x0600: 'registration',
  0x0601: 'authorisation',
  0x0602: 'log-off',
  0x060f: 'completion',
  0x0610: 'send-turnover-totals',
  0x0612: 'print-turnover-receipts',
  0x0618: 'reset-terminal',
  0x061a: 'print-system-configuration',
  0x061b: 'set-terminal-id',
  0x061e: 'abort',
  0x0620: 'repeat-receipt',
  0x0622: 'pre-authorisation',
  0x0623: 'partial-reversal',
  0x0625: 'pre-authorisation-reversal',
  0x0630: 'reversal',
  0x0631: 'refund',
  0x0650: 'end-of-day',
  0x0670: 'diagnosis',
  0x0693: 'initialisation',
  0x06b0: 'abort-command',
  0x06c0: 'read-card',
  0x06d1: 'print-line',
  0x06d3: 'print-text-block',
  0x06e0: 'display-text',
  0x0810: 'software-update',
  0x0811: 'read-file',
  0x0812: 'delete-file',
  0x0813: 'change-configuration',
  0x0814: 'write-file',
  0x8000: 'ack',
};

export function apduName(cls: number, instr: number): string {
  if (cls === 0x84) return 'nack';
  if (cls === 0x0f) return 'vendor';
  return NAMES[cls * 256 + instr] ?? 'unknown';
}
