import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createJobBoard, fleetTable } from '../agent/job-board.js';

/** A stream that records what was written, with the width a terminal reports. */
function screen(columns = 80): { stream: NodeJS.WriteStream; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  }) as unknown as NodeJS.WriteStream;
  Object.assign(stream, { columns, isTTY: true });
  return { stream, text: () => chunks.join('') };
}

const ERASE_TWO_ROWS = '\x1b[2A\r\x1b[0J';
const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the combined display of several decommission jobs', () => {
  it('on a TTY keeps one live row per terminal under the scrolling log', async () => {
    const s = screen();
    const errors = screen();
    const board = createJobBoard({
      stream: s.stream,
      tty: true,
      labels: ['sim:countertop?seed=1', '/dev/ttyUSB1'],
      errorStream: errors.stream,
    });
    const one = board.reporter(0);
    const two = board.reporter(1);
    one.step('backup: journal');
    two.step('erase: logs');
    one.progress('backup journal', 128 * 1024, 256 * 1024);
    await tick(150);
    board.finished(1, 'PASS', 0);
    board.close();

    const out = s.text();
    // Every log line replaces the rows and redraws them below itself: the rows stay at the bottom.
    expect(out.split(ERASE_TWO_ROWS).length).toBeGreaterThan(3);
    const last = out.slice(out.lastIndexOf(ERASE_TWO_ROWS) + ERASE_TWO_ROWS.length);
    expect(last.split('\n')).toEqual([
      '[1] sim:countertop?seed=1  backup journal [##########..........]  50%',
      '[2] /dev/ttyUSB1           done: PASS (exit 0)',
      '',
    ]);
    expect(out).toContain('[1] ==> backup: journal\n');
    expect(out).toContain('[2] finished: PASS, exit 0 (1 of 2 terminals done)\n');
    expect(errors.text()).toBe('');
  });

  it('on a TTY never draws a row wider than the screen, so redrawing stays in place', () => {
    const s = screen(40);
    const board = createJobBoard({ stream: s.stream, tty: true, labels: ['a'.repeat(60), 'b'] });
    board.reporter(0).step('a step with a long description that would wrap');
    board.close();
    const rows = s.text().split(ERASE_TWO_ROWS).at(-1)!.split('\n').filter(Boolean);
    expect(rows).toHaveLength(2);
    for (const row of rows) expect(row.length).toBeLessThan(40);
  });

  it('on a TTY leaves the screen alone while a confirmation question is open, then catches up', () => {
    const s = screen();
    const board = createJobBoard({ stream: s.stream, tty: true, labels: ['p1', 'p2'] });
    board.reporter(0).step('inventory');
    const resume = board.suspend();
    const before = s.text();
    // The rows are gone from the screen, and a question may be written there now.
    expect(before.endsWith(ERASE_TWO_ROWS)).toBe(true);
    board.reporter(1).step('inventory');
    board.reporter(1).progress('backup journal', 1, 2);
    expect(s.text()).toBe(before);
    resume();
    resume();
    const after = s.text().slice(before.length);
    expect(after.startsWith('[2] ==> inventory\n[1] p1  inventory\n[2] p2  ')).toBe(true);
    board.close();
  });

  it('without a TTY writes plain tagged lines and redraws nothing', () => {
    const s = screen();
    const errors = screen();
    const board = createJobBoard({
      stream: s.stream,
      tty: false,
      labels: ['p1', 'p2'],
      errorStream: errors.stream,
    });
    board.reporter(1).step('settle');
    board.reporter(0).progress('backup journal', 50, 100);
    board.reporter(1).error('terminal refused SETTLE');
    board.finished(1, 'FAIL', 6);
    board.close();

    expect(s.text()).not.toContain('\x1b[');
    expect(s.text().split('\n').filter(Boolean)).toEqual([
      expect.stringMatching(/^\d\d:\d\d:\d\d \[2\] ==> settle$/),
      expect.stringMatching(/^\d\d:\d\d:\d\d \[1\] {5}backup journal 50% \(50 B of 100 B\)$/),
      expect.stringMatching(/^\d\d:\d\d:\d\d \[2\] finished: FAIL, exit 6 \(1 of 2 terminals done\)$/),
    ]);
    expect(errors.text()).toBe('posdecom: [2] terminal refused SETTLE\n');
  });

  it('ends with one line per terminal and the exit code of the worst', () => {
    const text = fleetTable(
      [
        {
          port: 'p1',
          serial: 'KC4000000001',
          overall: 'PASS',
          exitCode: 0,
          dir: 'out/1-p1',
          stopReason: null,
        },
        {
          port: 'p2',
          serial: null,
          overall: 'INCOMPLETE',
          exitCode: 6,
          dir: 'out/2-p2',
          stopReason: 'mismatch',
        },
      ],
      6,
    );
    expect(text.split('\n').filter(Boolean)).toEqual([
      '2 terminals: 1 finished with exit 0, 1 did not; exit code 6 (the worst)',
      '  [1]  p1    KC4000000001  PASS        exit 0   out/1-p1',
      '  [2]  p2    ?             INCOMPLETE  exit 6   stopped: mismatch',
    ]);
  });
});
