import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import type { Frame } from '../protocol/frame.js';
import type { PortSettings } from '../protocol/port-spec.js';
import type { Session } from '../protocol/session.js';
import { PROTOCOL_VERSION } from '../protocol/messages.js';
import { maskFrame, type MaskState } from './transcript-mask.js';
import { TOOL_NAME, TOOL_VERSION } from './version.js';

/**
 * `--record FILE`: every frame in both directions as JSON lines, secrets masked as they are
 * written (fixtures/README.md). Line 1 is a header; then one line per frame:
 *   {"t": ms since start, "dir": "out"|"in", "line": frame text, "step": ..., "type": ...}
 * Frames with bytes outside printable ASCII carry "b64" (the line in base64) instead of "line".
 */
export class Transcript {
  private fd: number;
  private readonly start = Date.now();
  private step = 'connect';
  private readonly mask: MaskState = { cardStores: new Set(), pendingReads: new Map() };
  private headerWritten = false;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'w', 0o600);
  }

  setStep(step: string): void {
    this.step = step;
  }

  attach(session: Session, port: string, settings: PortSettings): void {
    this.write({
      kind: 'session',
      t: Date.now() - this.start,
      tool: { name: TOOL_NAME, version: TOOL_VERSION },
      protocol: PROTOCOL_VERSION,
      port: port.startsWith('sim:') ? port : 'serial',
      settings,
      ...(this.headerWritten ? {} : { header: true }),
    });
    this.headerWritten = true;
    session.observe((dir, line, frame) => this.onFrame(dir, line, frame));
  }

  /** Identity of the terminal, once known: part of what a fixture says it is about. */
  noteIdentity(identity: Record<string, unknown>): void {
    this.write({ kind: 'identity', t: Date.now() - this.start, identity });
  }

  private onFrame(dir: 'out' | 'in', raw: Buffer, frame: Frame | undefined): void {
    const line = raw[raw.length - 1] === 0x0a ? raw.subarray(0, raw.length - 1) : raw;
    const masked = maskFrame(dir, line, frame, this.mask);
    const printable = masked.every((b) => b >= 0x20 && b < 0x7f);
    const entry: Record<string, unknown> = { t: Date.now() - this.start, dir, step: this.step };
    const type = line.toString('latin1', 7, line.indexOf(0x20, 7));
    entry.type = /^[A-Z_]{1,24}$/.test(type) ? type : 'INVALID';
    if (printable) entry.line = masked.toString('latin1');
    else entry.b64 = masked.toString('base64');
    this.write(entry);
  }

  private write(entry: Record<string, unknown>): void {
    if (this.fd < 0) return;
    writeSync(this.fd, JSON.stringify(entry) + '\n');
  }

  close(): void {
    if (this.fd < 0) return;
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = -1;
  }
}
