import type {
  Binding,
  BindingOpenOptions as OpenOptions,
  BindingPort,
  BindingPortInfo as PortInfo,
  BindingPortStatus as PortStatus,
} from './binding-types.js';
import type { ByteEndpoint } from './memory-link.js';

/**
 * A serialport binding whose "hardware" is a ByteEndpoint: the simulated terminal runs behind
 * the same SerialPortStream the real binding feeds, so `sim:` exercises the production pipeline.
 */
export class EndpointBinding implements Binding {
  constructor(private readonly connect: (path: string) => Promise<ByteEndpoint>) {}

  async list(): Promise<PortInfo[]> {
    return [];
  }

  async open(options: OpenOptions): Promise<EndpointPort> {
    const endpoint = await this.connect(options.path);
    return new EndpointPort(endpoint, options);
  }
}

interface PendingRead {
  buffer: Buffer;
  offset: number;
  length: number;
  resolve: (r: { buffer: Buffer; bytesRead: number }) => void;
  reject: (e: Error) => void;
}

class EndpointPort implements BindingPort {
  readonly openOptions: Required<OpenOptions>;
  isOpen = true;
  private received: Buffer[] = [];
  private pending: PendingRead | undefined;
  private hungUp = false;

  constructor(
    private readonly endpoint: ByteEndpoint,
    options: OpenOptions,
  ) {
    this.openOptions = {
      dataBits: 8,
      lock: true,
      stopBits: 1,
      parity: 'none',
      rtscts: false,
      xon: false,
      xoff: false,
      xany: false,
      hupcl: true,
      ...options,
    } as Required<OpenOptions>;
    endpoint.onData((bytes) => {
      this.received.push(bytes);
      this.serveRead();
    });
    endpoint.onClose(() => {
      this.hungUp = true;
      this.serveRead();
    });
  }

  async close(): Promise<void> {
    this.isOpen = false;
    this.endpoint.close();
    const p = this.pending;
    this.pending = undefined;
    if (p) p.reject(Object.assign(new Error('port closed'), { canceled: true }));
  }

  read(buffer: Buffer, offset: number, length: number): Promise<{ buffer: Buffer; bytesRead: number }> {
    return new Promise((resolve, reject) => {
      this.pending = { buffer, offset, length, resolve, reject };
      this.serveRead();
    });
  }

  private serveRead(): void {
    const p = this.pending;
    if (!p) return;
    const head = this.received[0];
    if (head) {
      const n = Math.min(p.length, head.length);
      head.copy(p.buffer, p.offset, 0, n);
      if (n === head.length) this.received.shift();
      else this.received[0] = head.subarray(n);
      this.pending = undefined;
      p.resolve({ buffer: p.buffer, bytesRead: n });
    } else if (this.hungUp) {
      // Not `canceled`: serialport treats this as a disconnect, like a pulled USB cable. The port
      // stays "open" until serialport closes it: it ignores a disconnect on a port already closed.
      this.pending = undefined;
      p.reject(new Error('the terminal hung up'));
    }
  }

  async write(buffer: Buffer): Promise<void> {
    if (this.hungUp) throw new Error('the terminal hung up');
    this.endpoint.write(buffer);
  }

  async update(): Promise<void> {}
  async set(): Promise<void> {}
  async get(): Promise<PortStatus> {
    return { cts: true, dsr: !this.hungUp, dcd: !this.hungUp };
  }
  async getBaudRate(): Promise<{ baudRate: number }> {
    return { baudRate: this.openOptions.baudRate };
  }
  async flush(): Promise<void> {
    this.received = [];
  }
  async drain(): Promise<void> {}
}
