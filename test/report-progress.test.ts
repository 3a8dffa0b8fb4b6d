import { describe, expect, it } from 'vitest';
import { createCountProgress } from '../agent/count-progress.js';

/** `report`'s progress display: a bar redrawn in place on a TTY, a line each tenth otherwise. */

function sink() {
  const chunks: string[] = [];
  const stream = { write: (s: string) => chunks.push(s) > 0 } as unknown as NodeJS.WritableStream;
  return { stream, text: () => chunks.join(''), chunks };
}

describe('the report progress display', () => {
  it('redraws one bar in place on a TTY and ends it with a newline', () => {
    const out = sink();
    const p = createCountProgress({
      stream: out.stream,
      tty: true,
      label: 'verifying',
      unit: 'certificates',
    });
    p.update(1, 4);
    p.update(4, 4);
    p.end();
    const clearLine = '\r\u001b[2K';
    expect(out.chunks[0]).toBe(
      `${clearLine}verifying [${'#'.repeat(7)}${'.'.repeat(21)}]  25% 1 / 4 certificates`,
    );
    expect(out.text()).toContain('[############################] 100% 4 / 4 certificates\n');
    expect(out.text().split('\n')).toHaveLength(2);
  });

  it('writes a timestamped line at most once a tenth without a TTY', () => {
    const out = sink();
    const p = createCountProgress({
      stream: out.stream,
      tty: false,
      label: 'verifying',
      unit: 'certificates',
    });
    for (let done = 1; done <= 1000; done++) p.update(done, 1000);
    p.end();
    const lines = out.text().trimEnd().split('\n');
    expect(lines).toHaveLength(11);
    expect(lines.at(-1)).toMatch(/^\d\d:\d\d:\d\d verifying 1000 of 1000 certificates \(100%\)$/);
    expect(out.text()).not.toContain('\r');
  });
});
