import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';

describe('posdecom ports', () => {
  it('lists ports as JSON, or says in one line (exit 3) that listing is unavailable here', async () => {
    const r = await runCli(['ports', '--json']);
    if (r.code === 0) {
      const out = JSON.parse(r.stdout) as { ports: { path: string; likelyTerminal: boolean }[] };
      for (const p of out.ports) expect(typeof p.likelyTerminal).toBe('boolean');
    } else {
      // Linux without udev (containers, CI): serialport's listing shells out to udevadm.
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(
        /^posdecom: port listing is unavailable here \(.*\); name the port directly with --port/,
      );
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});
