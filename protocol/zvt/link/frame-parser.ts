import { parseApdu, MAX_APDU_BYTES } from '../codec/apdu.js';
import { ACK, DLE, ETX, NAK, STX, frameCrc } from './serial-frame.js';

/**
 * Serial frames out of a byte stream, whatever the chunking: a frame may be split across reads or
 * several may share one; ACK and NAK bytes between frames are reported as such. Everything that
 * is not a good frame is reported, never silently dropped, and memory is bounded by one APDU.
 *
 *   HUNT --DLE--> HUNT_DLE --STX--> DATA <--> DATA_DLE --ETX--> CRC1 --> CRC2 --> frame | bad-crc
 *                                     |          |--DLE--> (a data byte 10)
 *                                     |          |--STX--> truncated, a new frame starts
 *                                     |          '--other--> lone-dle, DISCARD to the frame's end
 *                                     '--over the cap--> overlong, DISCARD to the frame's end
 *
 * A frame cut off without DLE ETX is ended by the owner calling timeout() when T1 expires.
 */
export type RejectReason = 'bad-crc' | 'lone-dle' | 'truncated' | 'overlong' | 'length-mismatch';

export type FrameEvent =
  | { type: 'frame'; apdu: Buffer }
  | { type: 'ack' }
  | { type: 'nak' }
  | { type: 'rejected'; reason: RejectReason; bytes: number }
  | { type: 'noise'; bytes: number };

type State =
  'hunt' | 'hunt-dle' | 'data' | 'data-dle' | 'crc1' | 'crc2' | 'discard' | 'discard-dle' | 'skip-crc';

export class SerialFrameParser {
  private state: State = 'hunt';
  private buf = Buffer.alloc(256);
  private len = 0;
  private crcLow = 0;
  private noise = 0;
  /** While discarding: why, how many bytes so far, and CRC bytes still to skip. */
  private discarding: { reason: RejectReason; bytes: number; crcLeft: number } | undefined;

  constructor(
    private readonly emit: (event: FrameEvent) => void,
    private readonly maxApduBytes = MAX_APDU_BYTES,
  ) {}

  /** True while a frame has begun and not ended: the owner runs T1 then. */
  get inFrame(): boolean {
    return this.state !== 'hunt' && this.state !== 'hunt-dle';
  }

  /** Bytes held for the frame under way: never more than the APDU cap. */
  get bufferedBytes(): number {
    return this.len;
  }

  push(chunk: Uint8Array): void {
    for (const b of chunk) this.byte(b);
    this.flushNoise();
  }

  /** T1 expired: a frame under way is truncated. */
  timeout(): void {
    if (this.discarding) {
      this.reject(this.discarding.reason, this.discarding.bytes);
    } else if (this.inFrame) {
      this.reject('truncated', this.len + 2);
    }
    this.flushNoise();
  }

  private byte(b: number): void {
    switch (this.state) {
      case 'hunt':
        if (b === DLE) this.state = 'hunt-dle';
        else if (b === ACK || b === NAK) {
          this.flushNoise();
          this.emit({ type: b === ACK ? 'ack' : 'nak' });
        } else this.noise++;
        return;
      case 'hunt-dle':
        if (b === STX) {
          this.flushNoise();
          this.begin();
        } else {
          this.noise++;
          this.state = 'hunt';
          if (b !== DLE) this.byte(b);
          else this.state = 'hunt-dle';
        }
        return;
      case 'data':
        if (b === DLE) this.state = 'data-dle';
        else this.append(b);
        return;
      case 'data-dle':
        if (b === DLE) {
          this.state = 'data';
          this.append(DLE);
        } else if (b === ETX) this.state = 'crc1';
        else if (b === STX) {
          this.reject('truncated', this.len + 2);
          this.begin();
        } else this.startDiscard('lone-dle', this.len + 4);
        return;
      case 'crc1':
        this.crcLow = b;
        this.state = 'crc2';
        return;
      case 'crc2':
        this.finish(this.crcLow | (b << 8));
        return;
      case 'discard':
      case 'discard-dle':
      case 'skip-crc':
        this.discardByte(b);
        return;
    }
  }

  private begin(): void {
    this.state = 'data';
    this.len = 0;
  }

  private append(b: number): void {
    if (this.len >= this.maxApduBytes) {
      this.startDiscard('overlong', this.len + 3);
      return;
    }
    if (this.len === this.buf.length) {
      const grown = Buffer.alloc(Math.min(this.buf.length * 2, this.maxApduBytes));
      this.buf.copy(grown);
      this.buf = grown;
    }
    this.buf[this.len++] = b;
  }

  private finish(crc: number): void {
    const apdu = Buffer.from(this.buf.subarray(0, this.len));
    const bytes = this.len + 6;
    this.resetFrame();
    if (frameCrc(apdu) !== crc) return this.reject('bad-crc', bytes);
    if (!parseApdu(apdu).ok) return this.reject('length-mismatch', bytes);
    this.emit({ type: 'frame', apdu });
  }

  private startDiscard(reason: RejectReason, bytes: number): void {
    this.discarding = { reason, bytes, crcLeft: 0 };
    this.state = 'discard';
    this.len = 0;
    this.shrink();
  }

  /** Skips the rest of a rejected frame: up to DLE ETX and its two CRC bytes, or a new DLE STX. */
  private discardByte(b: number): void {
    const d = this.discarding;
    if (!d) return;
    d.bytes++;
    if (this.state === 'skip-crc') {
      if (--d.crcLeft === 0) this.reject(d.reason, d.bytes);
    } else if (this.state === 'discard') {
      if (b === DLE) this.state = 'discard-dle';
    } else if (b === ETX) {
      this.state = 'skip-crc';
      d.crcLeft = 2;
    } else if (b === STX) {
      this.reject(d.reason, d.bytes - 2);
      this.begin();
    } else this.state = 'discard';
  }

  private reject(reason: RejectReason, bytes: number): void {
    this.resetFrame();
    this.emit({ type: 'rejected', reason, bytes });
  }

  private resetFrame(): void {
    this.state = 'hunt';
    this.len = 0;
    this.discarding = undefined;
    this.shrink();
  }

  /** A 64 KiB frame must not keep 64 KiB allocated for the rest of the session. */
  private shrink(): void {
    if (this.buf.length > 4096) this.buf = Buffer.alloc(256);
  }

  private flushNoise(): void {
    if (this.noise === 0) return;
    const bytes = this.noise;
    this.noise = 0;
    this.emit({ type: 'noise', bytes });
  }
}
