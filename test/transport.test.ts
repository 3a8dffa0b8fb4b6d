import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../agent/cli.js';
import { encodeFrame, decodeFrame } from '../protocol/line/frame.js';
import { Framer } from '../protocol/line/framer.js';
import { registerSimulatedTerminal, type AttachablePeer } from '../protocol/transport/sim-registry.js';
import type { ByteEndpoint } from '../protocol/transport/memory-link.js';
import { endpointOverStream } from '../protocol/transport/stream-endpoint.js';
import { SimulatedTerminal } from '../protocol/line/terminal/index.js';

/** Captures what a CLI run writes, so in-process runs can be asserted like spawned ones. */
async function capture(run: () => Promise<number>): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const w1 = process.stdout.write.bind(process.stdout);
  const w2 = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string) => out.push(String(s)) > 0) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => err.push(String(s)) > 0) as typeof process.stderr.write;
  try {
    const code = await run();
    return { code, out: out.join(''), err: err.join('') };
  } finally {
    process.stdout.write = w1;
    process.stderr.write = w2;
  }
}

/** A terminal from the future: it speaks protocol 2.0 only. */
class FutureTerminal implements AttachablePeer {
  attach(end: ByteEndpoint): void {
    const framer = new Framer((e) => {
      if (e.type !== 'line') return;
      const d = decodeFrame(e.line);
      if (!d.ok) return;
      const header = {
        ok: false,
        code: 'PROTO_VERSION',
        message: 'this terminal speaks 2.0',
        supported: ['2.0'],
      };
      end.write(encodeFrame({ seq: d.frame.seq, kind: 'R', type: d.frame.type, header }));
    });
    end.onData((b) => framer.push(b));
  }
}

describe('transports', () => {
  it('a terminal that speaks another protocol version is a one-line error with exit 4', async () => {
    registerSimulatedTerminal('sim:future', new FutureTerminal());
    const r = await capture(() => main(['identify', '--port', 'sim:future']));
    expect(r.code).toBe(4);
    expect(r.err).toBe('posdecom: terminal refused HELLO: PROTO_VERSION (this terminal speaks 2.0)\n');
  });

  describe('tcp:// serial device servers', () => {
    let server: Server;
    let port = 0;
    beforeAll(async () => {
      const terminal = await SimulatedTerminal.create({ model: 'mobile', seed: 41 });
      server = createServer((socket) => terminal.attach(endpointOverStream(socket, () => socket.destroy())));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      port = (server.address() as { port: number }).port;
    });
    afterAll(() => new Promise<void>((r) => server.close(() => r())));

    it('identifies a terminal behind a device server on loopback', async () => {
      const r = await capture(() => main(['identify', '--port', `tcp://127.0.0.1:${port}`, '--json']));
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      expect((JSON.parse(r.out) as { identity: { model: string } }).identity.model).toMatch(/\S/);
    });

    it('a refused connection is a transport error', async () => {
      const closed = createServer();
      await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
      const deadPort = (closed.address() as { port: number }).port;
      await new Promise<void>((r) => closed.close(() => r()));
      const r = await capture(() => main(['identify', '--port', `tcp://127.0.0.1:${deadPort}`]));
      expect(r.code).toBe(3);
      expect(r.err).toMatch(/^posdecom: cannot open tcp:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/);
    });
  });
});
