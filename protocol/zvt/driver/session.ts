import type { AuthorizeResult, SettleResult } from '../../driver.js';
import type { BatchStatus } from '../../domain.js';
import { ErrorCode, PosdecomError } from '../../errors.js';
import { hex2 } from '../codec/encoding.js';
import type { Answer, ZvtClient } from '../ecr/client.js';
import type { StatusEnquiryInfo } from '../ecr/results.js';
import { batchFrom, describeBatch, sameBatch } from './mapping.js';

/**
 * The driver's hold on one ZVT terminal across commands: the password once authorized, whether
 * the ECR is registered or logged off, and what the terminal said before, so that each answer is
 * checked against it. A TID that changes without an unbind, End-of-Day totals that are not the
 * batch's, a Reset Terminal-ID answered with a TID: each stops the job in one line.
 */
const MAX_RECEIPT_LINES = 200;

export class ZvtSession {
  registered = false;
  /** After Log-Off nothing more is sent; identify() then answers from the confirm's Status Enquiry. */
  private loggedOffWith: StatusEnquiryInfo | undefined;
  /** The TID the terminal reported first, then after each unbind; undefined until first seen. */
  private knownTid: string | null | undefined;
  private lastBatch: BatchStatus | undefined;

  constructor(private readonly client: ZvtClient) {}

  async statusEnquiry(): Promise<StatusEnquiryInfo> {
    if (this.loggedOffWith) return this.loggedOffWith;
    const info = ok('Status Enquiry', await this.client.statusEnquiry());
    this.checkTid('Status Enquiry', info.tid ?? null);
    return info;
  }

  async register(password: string, configByte: number): Promise<AuthorizeResult> {
    this.client.usePassword(password);
    const r = ok('Registration', await this.client.register({ configByte }));
    this.checkTid('Registration', r.tid ?? null);
    this.registered = true;
    return {
      method: 'ZVT Registration (06 00) with the terminal password',
      evidence: {
        configByte: hex2(configByte),
        ecrControlsPayment: true,
        ecrControlsAdmin: true,
        ecrPrintsAdminReceipts: true,
        tid: r.tid ?? null,
        statusByte: r.statusByte ?? null,
        currency: r.currency ?? null,
        confirmedBy: 'Registration completion (06 0F)',
      },
    };
  }

  async systemConfiguration(): Promise<string[]> {
    const r = ok('Print System Configuration', await this.client.printSystemConfiguration());
    return r.receipt.slice(0, MAX_RECEIPT_LINES).map((l) => l.slice(0, 120));
  }

  async turnoverTotals(): Promise<BatchStatus> {
    const r = ok('Send Turnover Totals', await this.client.sendTurnoverTotals());
    this.lastBatch = batchFrom('Send Turnover Totals', r.totals);
    return this.lastBatch;
  }

  /** End-of-Day; its totals must be the batch Send Turnover Totals showed just before. */
  async endOfDay(): Promise<SettleResult> {
    const before = this.lastBatch ?? (await this.turnoverTotals());
    const r = await this.client.endOfDay();
    if (!r.ok) {
      const receipt = r.receiptNumber === undefined ? '' : `, pre-authorisation receipt ${r.receiptNumber}`;
      throw new PosdecomError(
        ErrorCode.TerminalRefused,
        `ZVT End-of-Day aborted: result code ${hex2(r.resultCode)} (${r.resultText}${receipt})`,
        {
          code: hex2(r.resultCode),
          resultText: r.resultText,
          ...(r.receiptNumber === undefined ? {} : { receiptNumber: r.receiptNumber }),
        },
      );
    }
    const settled = batchFrom('End-of-Day', r.totals);
    this.lastBatch = undefined;
    if (!sameBatch(before, settled)) {
      throw new PosdecomError(
        ErrorCode.WorkflowAnomaly,
        `ZVT End-of-Day settled ${describeBatch(settled)}, but Send Turnover Totals had shown ${describeBatch(before)}; stopping`,
      );
    }
    return {
      batchId: r.totals?.traceNumber === undefined ? 'not reported' : `trace ${r.totals.traceNumber}`,
      count: settled.count,
      totals: settled.totals,
    };
  }

  /** 06 1B without a TID; a completion that still names one is not an unbind. */
  async resetTerminalId(): Promise<void> {
    const r = await this.client.resetTerminalId();
    if (!r.ok) {
      throw new PosdecomError(
        ErrorCode.TerminalRefused,
        `ZVT Reset Terminal-ID refused: result code ${hex2(r.resultCode)} (${r.resultText})`,
        { code: hex2(r.resultCode), resultText: r.resultText },
      );
    }
    if (r.tid !== undefined) {
      throw new PosdecomError(
        ErrorCode.SessionHostile,
        `ZVT Reset Terminal-ID was answered with TID ${r.tid}; stopping`,
      );
    }
    this.knownTid = null;
  }

  /** Reset Terminal, Status Enquiry (status 00 = ready), Log-Off: the confirm step. */
  async confirm(): Promise<{ safeToPowerOff: boolean; evidence: Record<string, unknown> }> {
    ok('Reset Terminal', await this.client.resetTerminal());
    const info = await this.statusEnquiry();
    if (info.terminalStatus === undefined) {
      throw new PosdecomError(
        ErrorCode.SessionHostile,
        'ZVT Status Enquiry left out the status byte; stopping',
      );
    }
    await this.client.logOff();
    this.registered = false;
    this.loggedOffWith = info;
    return {
      safeToPowerOff: info.terminalStatus === 0,
      evidence: {
        reset: 'Reset Terminal (06 18) completed',
        terminalStatus: hex2(info.terminalStatus),
        tid: info.tid ?? null,
        loggedOff: true,
      },
    };
  }

  private checkTid(what: string, tid: string | null): void {
    if (this.knownTid === undefined) {
      this.knownTid = tid;
      return;
    }
    if (tid !== this.knownTid) {
      throw new PosdecomError(
        ErrorCode.WorkflowAnomaly,
        `ZVT ${what} reports TID ${tid ?? 'none'}, but the terminal reported ${this.knownTid ?? 'none'} before, with no unbind between; stopping`,
      );
    }
  }
}

/** An Abort (06 1E) where a completion was due: the terminal refused the command. */
function ok<T extends object>(what: string, a: Answer<T>): T & { evidence: unknown } {
  if (a.ok) return a;
  throw new PosdecomError(
    ErrorCode.TerminalRefused,
    `ZVT ${what} aborted: result code ${hex2(a.resultCode)} (${a.resultText})`,
    { code: hex2(a.resultCode), resultText: a.resultText },
  );
}
