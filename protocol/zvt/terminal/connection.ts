import { Pacer } from '../../simulator/pacer.js';
import type { ByteEndpoint } from '../../transport/memory-link.js';
import { decodeMessage } from '../codec/message.js';
import { RESULT } from '../codec/result-codes.js';
import type { ApduLink, ByteChannel } from '../link/apdu-link.js';
import { SerialApduLink } from '../link/serial-link.js';
import { TcpApduLink } from '../link/tcp-link.js';
import { Conversation } from './conversation.js';
import type { ZvtDevice } from './device.js';
import { COMMAND_NAMES } from './faults.js';
import type { Handler } from './handler.js';
import * as admin from './handlers-admin.js';
import * as files from './handlers-files.js';
import * as settle from './handlers-settle.js';

/**
 * One attachment of the cable (or one TCP connection): the link in the chosen framing, output
 * through the paced transmitter, and one sequence at a time. A command that arrives while a
 * sequence runs, or an answer that arrives when none is awaited, is counted and ignored: the
 * terminal holds master rights until its completion is acknowledged.
 *
 *   endpoint --bytes--> link (serial: parser, ACK/NAK | tcp: LEN) --APDU--> conversation | dispatch
 *   endpoint <--bytes-- Pacer <-- link <-- handlers
 */
const HANDLERS: Record<number, Handler> = {
  0x0600: admin.registration,
  0x0501: admin.statusEnquiry,
  0x061a: admin.printConfiguration,
  0x061b: admin.setTerminalId,
  0x0670: admin.diagnosis,
  0x0618: admin.resetTerminal,
  0x0602: admin.logOff,
  0x0650: settle.endOfDay,
  0x0610: settle.turnoverTotals,
  0x0811: files.readFile,
  0x0812: files.deleteFile,
};

export class ZvtConnection {
  readonly link: ApduLink;
  private readonly pacer: Pacer | undefined;
  private conversation: Conversation | undefined;
  private busy = false;
  private gone = false;

  constructor(
    private readonly device: ZvtDevice,
    private readonly endpoint: ByteEndpoint,
    framing: 'serial' | 'tcp',
    private readonly onGone: (c: ZvtConnection) => void,
  ) {
    const bps = device.options.bytesPerSecond;
    this.pacer =
      bps > 0
        ? new Pacer(
            (b) => endpoint.write(b),
            () => this.hangUp(),
            bps,
            device.options.lineClock,
          )
        : undefined;
    const channel: ByteChannel = {
      // Paced, a write completes when its bytes are on the line: the link's T2 starts there.
      write: (bytes) => {
        if (!this.pacer) return endpoint.write(bytes);
        this.pacer.send({ bytes, notBefore: device.options.lineClock.now() });
        return this.pacer.below(1);
      },
      onData: (l) => endpoint.onData(l),
      onClose: (l) => endpoint.onClose(() => l()),
      close: () => this.hangUp(),
    };
    this.link =
      framing === 'serial' ? new SerialApduLink(channel, this.serialOptions()) : new TcpApduLink(channel);
    this.link.onApdu((apdu) => this.received(apdu));
    this.link.onClose(() => this.dispose());
  }

  /** The cable is pulled: what was already queued for the line still goes out first. */
  pull(): void {
    if (this.gone) return;
    if (this.pacer) this.pacer.send({ bytes: Buffer.alloc(0), notBefore: 0, pull: true });
    else this.hangUp();
  }

  hangUp(): void {
    if (this.gone) return;
    this.dispose();
    // Deferred so bytes already written reach the peer before the line drops.
    setImmediate(() => this.endpoint.close());
  }

  private serialOptions() {
    const f = this.device.options.faults;
    const prng = this.device.faultPrng;
    return {
      ...this.device.options.serial,
      clock: this.device.options.lineClock,
      hooks: {
        ...(f.crc ? { corruptCrc: () => prng.chance(f.crc ?? 0) } : {}),
        ...(this.device.nakRemaining > 0
          ? { forceNak: () => this.device.nakRemaining > 0 && this.device.nakRemaining-- > 0 }
          : {}),
        ...(f.slowAckMs ? { ackDelayMs: f.slowAckMs } : {}),
      },
    };
  }

  private dispose(): void {
    if (this.gone) return;
    this.gone = true;
    this.pacer?.stop();
    this.conversation?.end('link lost');
    this.onGone(this);
  }

  private received(apdu: Buffer, lookedAgain = false): void {
    if (this.conversation?.offer(apdu)) return;
    if (this.busy) {
      // Over TCP the ECR's last 80 00 00 and its next command can come in one segment, so both
      // reach us in one go: let the sequence that answer ended finish, then look again.
      if (!lookedAgain) {
        setImmediate(() => this.received(apdu, true));
        return;
      }
      this.device.protocolErrors++;
      return;
    }
    void this.run(apdu);
  }

  private async run(apdu: Buffer): Promise<void> {
    this.busy = true;
    const code = (apdu[0] ?? 0) * 256 + (apdu[1] ?? 0);
    const name = COMMAND_NAMES[code] ?? `unknown ${apdu.subarray(0, 2).toString('hex')}`;
    const conv = new Conversation(this.link, {
      replyTimeoutMs: this.device.options.ecrReplyTimeoutMs,
      turnaroundMs: this.device.options.turnaroundMs,
      clock: this.device.options.lineClock,
      afterSend: (sent) => {
        if (this.device.dropDue(name, sent)) this.pull();
      },
    });
    this.conversation = conv;
    try {
      const decoded = decodeMessage(apdu);
      if (apdu[0] === 0x80 || apdu[0] === 0x84) {
        // An acknowledgement when the terminal asked nothing: the ECR is out of step.
        this.device.protocolErrors++;
        return;
      }
      this.device.count(name);
      const handler = HANDLERS[code];
      if (!decoded.ok || !handler) return await conv.refuse(RESULT.functionNotPossible);
      if (this.device.waitRemaining > 0) {
        this.device.waitRemaining--;
        return await conv.refuse(RESULT.pleaseWait);
      }
      await handler({ device: this.device, conv, m: decoded.message });
    } catch {
      // The sequence ended early (link lost, the ECR stopped answering): nothing more to send.
    } finally {
      if (this.conversation === conv) this.conversation = undefined;
      this.busy = false;
    }
  }
}
