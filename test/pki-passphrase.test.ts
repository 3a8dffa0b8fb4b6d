import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../protocol/errors.js';
import { PASSPHRASE_ENV, getPassphrase, type PromptInput } from '../wipe/pki/passphrase.js';

/** A stand-in for a raw-mode TTY: keystrokes are fed in as data events. */
class FakeTty extends EventEmitter implements PromptInput {
  isTTY = true;
  raw = false;
  rawHistory: boolean[] = [];
  setRawMode(mode: boolean) {
    this.raw = mode;
    this.rawHistory.push(mode);
    return this;
  }
  setEncoding() {
    return this;
  }
  resume() {
    return this;
  }
  pause() {
    return this;
  }
  /** Type each chunk once the prompt is listening (the prompt attaches on the next tick). */
  type(...chunks: string[]) {
    const next = () => {
      const chunk = chunks.shift();
      if (chunk === undefined) return;
      if (this.listenerCount('data') === 0) return setImmediate(() => this.type(chunk, ...chunks));
      this.emit('data', chunk);
      setImmediate(next);
    };
    setImmediate(next);
  }
}

function sink() {
  const written: string[] = [];
  return { written, write: (s: string) => written.push(s) };
}

describe('getPassphrase', () => {
  it('takes the passphrase from POSDECOM_KEY_PASSPHRASE without prompting', async () => {
    const out = sink();
    const p = await getPassphrase('technician key', { env: { [PASSPHRASE_ENV]: 's3cret' }, output: out });
    expect(p).toBe('s3cret');
    expect(out.written).toEqual([]);
  });

  it('refuses an empty POSDECOM_KEY_PASSPHRASE', async () => {
    await expect(getPassphrase('CA key', { env: { [PASSPHRASE_ENV]: '' } })).rejects.toMatchObject({
      code: ErrorCode.UsageInvalid,
    });
  });

  it('fails with one clear line when there is neither a TTY nor the variable', async () => {
    const input = new FakeTty();
    input.isTTY = false;
    await expect(getPassphrase('CA key', { env: {}, input })).rejects.toThrow(
      'no passphrase for the CA key: set POSDECOM_KEY_PASSPHRASE or run in a terminal',
    );
  });

  it('reads from the TTY in raw mode without echoing, and restores the mode', async () => {
    const input = new FakeTty();
    const out = sink();
    input.type('hunter', 'X\u007f', '2\r');
    const p = await getPassphrase('technician key', { env: {}, input, output: out });
    expect(p).toBe('hunter2');
    expect(out.written.join('')).toBe('Passphrase for the technician key: \n');
    expect(input.rawHistory).toEqual([true, false]);
  });

  it('asks twice for a new key and refuses a mismatch', async () => {
    const input = new FakeTty();
    const out = sink();
    input.type('first\r', 'other\r');
    await expect(getPassphrase('new CA key', { env: {}, input, output: out, confirm: true })).rejects.toThrow(
      'the passphrases do not match',
    );
    expect(out.written.join('')).not.toMatch(/first|other/);
  });

  it('accepts a confirmed passphrase', async () => {
    const input = new FakeTty();
    input.type('same one\r', 'same one\n');
    await expect(
      getPassphrase('new CA key', { env: {}, input, output: sink(), confirm: true }),
    ).resolves.toBe('same one');
  });

  it('treats Ctrl-C as cancel and leaves raw mode', async () => {
    const input = new FakeTty();
    input.type('abc\u0003');
    await expect(getPassphrase('CA key', { env: {}, input, output: sink() })).rejects.toThrow(
      'passphrase entry cancelled',
    );
    expect(input.raw).toBe(false);
  });

  it('refuses an empty entry', async () => {
    const input = new FakeTty();
    input.type('\r');
    await expect(getPassphrase('CA key', { env: {}, input, output: sink() })).rejects.toThrow(
      'empty passphrase',
    );
  });

  it("reads a role's own variable first, and the generic one only for an existing key", async () => {
    const env = { [PASSPHRASE_ENV]: 'generic', POSDECOM_SIGN_PASSPHRASE: 'signing' };
    expect(await getPassphrase('technician key', { env, role: 'sign' })).toBe('signing');
    expect(await getPassphrase('CA key', { env, role: 'ca' })).toBe('generic');
    await expect(
      getPassphrase('new CA key', {
        env,
        role: 'ca',
        confirm: true,
        input: Object.assign(new FakeTty(), { isTTY: false }),
      }),
    ).rejects.toThrow('no passphrase for the new CA key: set POSDECOM_CA_PASSPHRASE or run in a terminal');
  });
});
