import { describeMessage, type DescribedMessage } from '../codec/describe.js';
import { scrubDigits } from '../codec/card-data.js';
import { bcdToNumber, decodeText, trimNul } from '../codec/encoding.js';
import { prefixField, type Message } from '../codec/message.js';
import { intermediateStatusText } from '../codec/result-codes.js';
import { childrenOf, findAll, findFirst, rawValue } from '../codec/tlv.js';
import { tlvOf } from '../codec/values.js';

/**
 * What a sequence showed besides its outcome: intermediate statuses, receipts (print lines and
 * text blocks), status information. Kept for the journal and the certificate, and passed to the
 * progress display as it arrives. Everything here is already rendered by the codec (masked,
 * scrubbed); nothing holds raw frame bytes. Collection is bounded; `truncated` says it stopped.
 */
export interface IntermediateEvidence {
  status: number;
  text: string;
  timeoutMinutes?: number;
}

export interface Evidence {
  intermediate: IntermediateEvidence[];
  statusInformation: DescribedMessage[];
  /** Print lines and text-block lines, in the order they came. */
  receipt: string[];
  other: DescribedMessage[];
  truncated: boolean;
}

export type ProgressEvent =
  | ({ type: 'intermediate' } & IntermediateEvidence)
  | { type: 'receipt'; lines: string[] }
  | { type: 'status-information'; described: DescribedMessage }
  | { type: 'please-wait' };

export class EvidenceCollector {
  private readonly evidence: Evidence = {
    intermediate: [],
    statusInformation: [],
    receipt: [],
    other: [],
    truncated: false,
  };
  private bytes = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly onProgress?: (e: ProgressEvent) => void,
  ) {}

  get result(): Evidence {
    return this.evidence;
  }

  pleaseWait(): void {
    this.onProgress?.({ type: 'please-wait' });
  }

  /** `consumed`: the caller took this status information itself (a file block): not kept. */
  add(m: Message, consumed = false): void {
    const code = m.cls * 256 + m.instr;
    if (code === 0x04ff) {
      const status = prefixField(m, 'status')?.[0] ?? 0;
      const timeout = timeoutMinutes(m);
      const item: IntermediateEvidence = { status, text: intermediateStatusText(status) };
      if (timeout !== undefined) item.timeoutMinutes = timeout;
      this.keep(() => this.evidence.intermediate.push(item), 16);
      this.onProgress?.({ type: 'intermediate', ...item });
    } else if (code === 0x06d1) {
      const line = scrubDigits(decodeText(prefixField(m, 'text') ?? Buffer.alloc(0)));
      this.keep(() => this.evidence.receipt.push(line), line.length);
      this.onProgress?.({ type: 'receipt', lines: [line] });
    } else if (code === 0x06d3) {
      const lines = textBlockLines(m);
      this.keep(
        () => this.evidence.receipt.push(...lines),
        lines.reduce((n, l) => n + l.length, 0),
      );
      this.onProgress?.({ type: 'receipt', lines });
    } else if (code === 0x040f) {
      if (consumed) return;
      const described = describeMessage(m);
      this.keep(() => this.evidence.statusInformation.push(described), JSON.stringify(described).length);
      this.onProgress?.({ type: 'status-information', described });
    } else if (code !== 0x060f && code !== 0x061e) {
      const described = describeMessage(m);
      this.keep(() => this.evidence.other.push(described), JSON.stringify(described).length);
    }
  }

  private keep(push: () => void, size: number): void {
    if (this.bytes + size > this.maxBytes) {
      this.evidence.truncated = true;
      return;
    }
    this.bytes += size;
    push();
  }
}

/** 04 FF's timeout byte in minutes (BCD); undefined when absent or not BCD. */
export function timeoutMinutes(m: Message): number | undefined {
  const b = prefixField(m, 'timeout');
  if (!b) return undefined;
  return bcdToNumber(b) ?? undefined;
}

/** The lines of a 06 D3 text block: TLV 25 { 07 line ... }. */
export function textBlockLines(m: Message): string[] {
  const block = findFirst(tlvOf(m), 0x25);
  if (!block) return [];
  return findAll(childrenOf(block), 0x07).map((n) =>
    scrubDigits(trimNul(decodeText(rawValue(n) ?? Buffer.alloc(0)))),
  );
}
