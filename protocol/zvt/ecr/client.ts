import { ErrorCode, PosdecomError } from '../../errors.js';
import * as cmd from '../codec/commands.js';
import { hex2 } from '../codec/encoding.js';
import type { Message } from '../codec/message.js';
import { RESULT } from '../codec/result-codes.js';
import type { ApduLink } from '../link/apdu-link.js';
import type { Evidence, ProgressEvent } from './evidence.js';
import type { SequenceTimers } from './options.js';
import { readFileSequence, type ReadFileOptions, type ReadFileResult } from './read-file.js';
import {
  abortReceipt,
  registrationInfo,
  statusEnquiryInfo,
  totalsFrom,
  type RegistrationInfo,
  type StatusEnquiryInfo,
  type Totals,
} from './results.js';
import { SequenceEngine, type SequenceOutcome, type SequenceRequest } from './sequence.js';

/**
 * The ECR's commands for decommissioning, typed, over one link (serial or TCP). Each returns the
 * terminal's answer as a discriminated result: `ok: true` with what the completion said, or
 * `ok: false` with the Abort's result code. A negative acknowledgement (84 xx) is not an answer
 * but a refusal and throws: 84 83 TerminalUnsupported (e.g. no file access), a refused
 * password TerminalAuthFailed, others TerminalRefused. The password is held here and nowhere
 * else; no message or error carries it.
 */
export interface ZvtClientOptions {
  /**
   * The terminal's 6-digit password (from the work order; never logged). It may come later
   * (`usePassword`): Status Enquiry goes without it, every command that needs it refuses to run.
   */
  password?: string;
  /** ISO 4217 numeric, for Registration (default 978, EUR). */
  currency?: number;
  timers?: Partial<SequenceTimers>;
  onProgress?: (e: ProgressEvent) => void;
}

export type Answer<T> =
  | ({ ok: true; evidence: Evidence } & T)
  | { ok: false; resultCode: number; resultText: string; evidence: Evidence };

export type EndOfDayResult =
  | { ok: true; totals: Totals | undefined; evidence: Evidence }
  | {
      ok: false;
      resultCode: number;
      resultText: string;
      /** Abort B8 names the open pre-authorisation's receipt number ('none' = FF FF). */
      receiptNumber?: number | 'none';
      evidence: Evidence;
    };

export class ZvtClient {
  readonly engine: SequenceEngine;
  #password: string | undefined;
  private readonly currency: number;

  constructor(
    readonly link: ApduLink,
    options: ZvtClientOptions,
  ) {
    if (options.password !== undefined) this.usePassword(options.password);
    this.currency = options.currency ?? 978;
    this.engine = new SequenceEngine(link, { timers: options.timers, onProgress: options.onProgress });
  }

  /** From now on commands carry this password (6 digits; checked here, never shown). */
  usePassword(password: string): void {
    cmd.passwordBytes(password);
    this.#password = password;
  }

  get hasPassword(): boolean {
    return this.#password !== undefined;
  }

  private get password(): string {
    if (this.#password === undefined) {
      throw new PosdecomError(ErrorCode.UsageInvalid, 'ZVT: this command needs the terminal password');
    }
    return this.#password;
  }

  /** Registration (06 00): the password's first test, the config byte, the currency; TID if the terminal has one. */
  async register(o: {
    configByte: number;
    currency?: number;
    serviceByte?: number;
  }): Promise<Answer<RegistrationInfo>> {
    const command = cmd.registration({
      password: this.password,
      configByte: o.configByte,
      currency: o.currency ?? this.currency,
      ...(o.serviceByte === undefined ? {} : { serviceByte: o.serviceByte }),
    });
    return this.answer('registration', { command }, true, (c) => registrationInfo(c));
  }

  /**
   * Status Enquiry (05 01) with service byte 04: software version, status, device name, serial,
   * TID. It carries the password once the client has one (the spec makes it optional).
   */
  async statusEnquiry(o: { tlv?: boolean } = {}): Promise<Answer<StatusEnquiryInfo>> {
    const command = cmd.statusEnquiry({
      ...(this.#password === undefined ? {} : { password: this.#password }),
      ...(o.tlv === false ? {} : { serviceByte: cmd.STATUS_ENQUIRY_TLV }),
    });
    return this.answer('status-enquiry', { command }, this.#password !== undefined, (c) =>
      statusEnquiryInfo(c),
    );
  }

  /** Print System Configuration (06 1A): the receipt comes as evidence (print lines or a text block). */
  async printSystemConfiguration(): Promise<Answer<{ receipt: string[] }>> {
    return this.answer(
      'print-system-configuration',
      { command: cmd.printSystemConfiguration() },
      false,
      (_c, ev) => ({
        receipt: ev.receipt,
      }),
    );
  }

  /** End-of-Day (06 50): totals from the status information; an Abort keeps its result code. */
  async endOfDay(): Promise<EndOfDayResult> {
    const seen: Message[] = [];
    const outcome = await this.run(
      'end-of-day',
      {
        command: cmd.endOfDay(this.password),
        onStatusInformation: (m) => (seen.push(m), 'keep'),
      },
      true,
    );
    if (outcome.kind === 'aborted') {
      const receipt = abortReceipt(outcome.abort);
      return {
        ok: false,
        resultCode: outcome.resultCode,
        resultText: outcome.resultText,
        evidence: outcome.evidence,
        ...(receipt === undefined ? {} : { receiptNumber: receipt }),
      };
    }
    return { ok: true, totals: totalsFrom(seen), evidence: outcome.evidence };
  }

  /** Send Turnover Totals (06 10): what the batch holds, without settling it. */
  async sendTurnoverTotals(): Promise<Answer<{ totals: Totals | undefined }>> {
    const seen: Message[] = [];
    return this.answer(
      'send-turnover-totals',
      { command: cmd.sendTurnoverTotals(this.password), onStatusInformation: (m) => (seen.push(m), 'keep') },
      true,
      () => ({ totals: totalsFrom(seen) }),
    );
  }

  /** Set/Reset Terminal-ID (06 1B) without a TID: unbinds the terminal. Refused while the batch is open. */
  async resetTerminalId(): Promise<Answer<{ tid?: string }>> {
    return this.answer('set-terminal-id', { command: cmd.setTerminalId(this.password) }, true, (c) =>
      tidOnly(registrationInfo(c)),
    );
  }

  async setTerminalId(tid: string): Promise<Answer<{ tid?: string }>> {
    return this.answer('set-terminal-id', { command: cmd.setTerminalId(this.password, tid) }, true, (c) =>
      tidOnly(registrationInfo(c)),
    );
  }

  /** Read File (08 11) from `offset`; blocks go to onBlock as they arrive, checked for order and size. */
  async readFile(fileId: number, options: ReadFileOptions): Promise<ReadFileResult> {
    const result = await readFileSequence(this.engine, fileId, options);
    if (result.kind === 'refused') throw refusal('read-file', result, false);
    return result;
  }

  /** Delete File (08 12): resolves once our 80 00 00 to the completion has reached the terminal. */
  async deleteFile(fileId: number): Promise<Answer<object>> {
    return this.answer('delete-file', { command: cmd.deleteFile(fileId) }, false, () => ({}));
  }

  async diagnosis(): Promise<Answer<object>> {
    return this.answer('diagnosis', { command: cmd.diagnosis() }, false, () => ({}));
  }

  async resetTerminal(): Promise<Answer<object>> {
    return this.answer('reset-terminal', { command: cmd.resetTerminal() }, false, () => ({}));
  }

  /** Log-Off (06 02): the terminal's 80 00 ends it. */
  async logOff(): Promise<void> {
    const outcome = await this.run('log-off', { command: cmd.logOff(), ackOnly: true }, false);
    if (outcome.kind !== 'accepted' && outcome.kind !== 'completed') {
      throw new PosdecomError(
        ErrorCode.SessionUnexpectedReply,
        `ZVT log-off: the terminal answered ${outcome.kind}`,
      );
    }
  }

  private async run(
    name: string,
    req: SequenceRequest,
    withPassword: boolean,
  ): Promise<Exclude<SequenceOutcome, { kind: 'refused' }>> {
    const outcome = await this.engine.run(req);
    if (outcome.kind === 'refused') throw refusal(name, outcome, withPassword);
    return outcome;
  }

  private async answer<T extends object>(
    name: string,
    req: SequenceRequest,
    withPassword: boolean,
    read: (completion: Message, evidence: Evidence) => T,
  ): Promise<Answer<T>> {
    const outcome = await this.run(name, req, withPassword);
    switch (outcome.kind) {
      case 'aborted':
        return {
          ok: false,
          resultCode: outcome.resultCode,
          resultText: outcome.resultText,
          evidence: outcome.evidence,
        };
      case 'completed':
        return { ok: true, evidence: outcome.evidence, ...read(outcome.completion, outcome.evidence) };
      case 'accepted':
        throw new PosdecomError(
          ErrorCode.SessionUnexpectedReply,
          `ZVT ${name}: ended at 80 00 without a completion`,
        );
    }
  }
}

function tidOnly(info: RegistrationInfo): { tid?: string } {
  return info.tid === undefined ? {} : { tid: info.tid };
}

function refusal(
  name: string,
  o: Extract<SequenceOutcome, { kind: 'refused' }>,
  withPassword: boolean,
): PosdecomError {
  const context = { command: name, code: hex2(o.code) };
  const text = `ZVT ${name}: refused by the terminal (84 ${hex2(o.code)}: ${o.resultText})`;
  if (o.code === RESULT.functionNotPossible)
    return new PosdecomError(ErrorCode.TerminalUnsupported, text, context);
  if (withPassword && o.code === RESULT.wrongPassword) {
    return new PosdecomError(ErrorCode.TerminalAuthFailed, `${text}: the password was not accepted`, context);
  }
  return new PosdecomError(ErrorCode.TerminalRefused, text, context);
}
