import { ZVT_FILES, apduName, decodeMessage, maskApdu, type ApduTap } from '../../protocol/zvt/index.js';
import type { FrameEntry } from './format.js';

/**
 * ZVT in a transcript: each APDU one line, in hex, with its direction, the job step and the
 * APDU's name, masked as it is written (protocol/zvt/codec/mask-apdu.ts): the password and card
 * data never reach the file, Read File data of a file that may hold card data is withheld
 * (every byte X), and every length is kept, so the transcript still replays.
 *
 *   {"t":812,"dir":"out","step":"settle","type":"end-of-day","hex":"065003000000","masked":"password"}
 */
const cardFiles = new Set(ZVT_FILES.filter((f) => f.cardData).map((f) => f.id));
const knownFiles = new Set(ZVT_FILES.map((f) => f.id));

/** A file the driver does not know is treated as holding card data. */
export function zvtFileHoldsCardData(id: number): boolean {
  return cardFiles.has(id) || !knownFiles.has(id);
}

/** Per link: which command the terminal's answers belong to (06 0F's layout depends on it). */
export class ZvtEntryMaker {
  private sent: { cls: number; instr: number } | undefined;

  entry(t: number, dir: 'out' | 'in', step: string, apdu: Buffer): FrameEntry {
    const cls = apdu[0] ?? 0;
    const instr = apdu[1] ?? 0;
    if (dir === 'out' && cls !== 0x80 && cls !== 0x84) this.sent = { cls, instr };
    const masked = maskApdu(apdu, {
      ...(this.sent && dir === 'in' ? { sentCommand: this.sent } : {}),
      fileHoldsCardData: zvtFileHoldsCardData,
    });
    const entry: FrameEntry = { t, dir, step, type: apduName(cls, instr), hex: masked.bytes.toString('hex') };
    if (masked.masked.length > 0) entry.masked = masked.masked.join(';');
    return entry;
  }
}

/** The APDU a recorded ZVT entry holds, or undefined when it holds none or not hex. */
export function zvtEntryBytes(e: { hex?: unknown }): Buffer | undefined {
  if (typeof e.hex !== 'string' || !/^(?:[0-9a-f]{2})+$/i.test(e.hex)) return undefined;
  const bytes = Buffer.from(e.hex, 'hex');
  return decodeMessage(bytes).ok ? bytes : undefined;
}

export type { ApduTap };
