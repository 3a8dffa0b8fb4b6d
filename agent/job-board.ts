import { createReporter, type Reporter } from './reporter.js';

/**
 * The combined display of `decommission` with several `--port`: one Reporter per job, one
 * screen for all of them.
 *
 *   TTY:     scrolling log of every job's steps and warnings, prefixed [n]
 *            ---------------------------------------------------------------
 *            [1] sim:countertop?seed=1   backup journal [#####....]  52%     <- redrawn in place,
 *            [2] /dev/ttyUSB1            erase logs                          one line a terminal
 *            [3] /dev/ttyUSB2            done: PASS (exit 0)
 *   no TTY:  the same log lines with timestamps, progress at most every 10%, and a line each
 *            time a job ends: "[2] finished: PASS, exit 0 (2 of 3 terminals done)"
 *
 * Without a TTY nothing is redrawn, so a CI log or a pipe reads top to bottom.
 */
export interface JobBoardOptions {
  stream: NodeJS.WriteStream;
  tty: boolean;
  /** One label per job, in --port order; usually the port. */
  labels: string[];
  errorStream?: NodeJS.WritableStream;
}

export interface JobBoard {
  reporter(index: number): Reporter;
  finished(index: number, overall: string, exitCode: number): void;
  /** Stops drawing (log lines wait) while a question is asked on the screen; call the result to go on. */
  suspend(): () => void;
  /** Leaves the board's last state on screen, below the log. */
  close(): void;
}

interface Row {
  status: string;
  progress: { label: string; done: number; total: number } | undefined;
}

/** A redraw at most this often for progress alone; log lines redraw at once. */
const REDRAW_MS = 100;

function bar(done: number, total: number, width = 20): string {
  const fraction = total > 0 ? Math.min(1, done / total) : 1;
  const filled = Math.round(fraction * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}%`;
}

export function createJobBoard(o: JobBoardOptions): JobBoard {
  return o.tty ? liveBoard(o) : plainBoard(o);
}

const tag = (i: number) => `[${i + 1}]`;

/** No TTY: every job's lines as they come, timestamped, and a line each time a job ends. */
function plainBoard(o: JobBoardOptions): JobBoard {
  let done = 0;
  return {
    reporter: (i) =>
      createReporter({
        stream: o.stream,
        tty: false,
        prefix: tag(i),
        ...(o.errorStream ? { errorStream: o.errorStream } : {}),
      }),
    finished(i, overall, exitCode) {
      done++;
      const stamp = new Date().toISOString().slice(11, 19);
      o.stream.write(
        `${stamp} ${tag(i)} finished: ${overall}, exit ${exitCode} (${done} of ${o.labels.length} terminals done)\n`,
      );
    },
    suspend: () => () => undefined,
    close: () => undefined,
  };
}

/** A TTY: the scrolling log above, one live row a job below it. */
function liveBoard(o: JobBoardOptions): JobBoard {
  const screen = new LiveRows(o);
  let done = 0;
  return {
    reporter(i): Reporter {
      const row = screen.rows[i]!;
      const line = (mark: string, text: string) => screen.log(o.stream, `${tag(i)} ${mark} ${text}`);
      return {
        step(text) {
          row.status = text;
          row.progress = undefined;
          line('==>', text);
        },
        info: (text) => line('   ', text),
        warn: (text) => line('!! ', text),
        error: (text) => screen.log(o.errorStream ?? process.stderr, `posdecom: ${tag(i)} ${text}`),
        print: (text) => screen.log(o.stream, text),
        progress(label, doneBytes, total) {
          row.progress = { label, done: doneBytes, total };
          screen.drawSoon();
        },
        endProgress() {
          row.progress = undefined;
          screen.drawSoon();
        },
      };
    },
    finished(i, overall, exitCode) {
      done++;
      screen.rows[i]!.status = `done: ${overall} (exit ${exitCode})`;
      screen.rows[i]!.progress = undefined;
      screen.log(
        o.stream,
        `${tag(i)} finished: ${overall}, exit ${exitCode} (${done} of ${o.labels.length} terminals done)`,
      );
    },
    suspend: () => screen.hold(),
    close: () => screen.close(),
  };
}

/**
 * The live rows at the bottom of a TTY, redrawn in place: the rows drawn last time are erased
 * (cursor up, clear to the end), a log line is written where they were, and the rows are drawn
 * again below it. While held, nothing is drawn and log lines wait their turn.
 */
class LiveRows {
  readonly rows: Row[];
  private readonly labelWidth: number;
  private drawn = 0;
  private lastDraw = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private held = 0;
  private readonly waiting: [NodeJS.WritableStream, string][] = [];

  constructor(private readonly o: JobBoardOptions) {
    this.rows = o.labels.map(() => ({ status: 'waiting', progress: undefined }));
    this.labelWidth = Math.min(32, Math.max(...o.labels.map((l) => l.length)));
  }

  log(stream: NodeJS.WritableStream, text: string): void {
    const line = text.endsWith('\n') ? text : text + '\n';
    if (this.held > 0) {
      this.waiting.push([stream, line]);
      return;
    }
    this.erase();
    stream.write(line);
    this.draw();
  }

  drawSoon(): void {
    if (this.timer || this.closed) return;
    const wait = Math.max(0, REDRAW_MS - (Date.now() - this.lastDraw));
    this.timer = setTimeout(() => this.draw(), wait);
    this.timer.unref();
  }

  /** Clears the rows and holds further drawing; call the result to go on (only the first call counts). */
  hold(): () => void {
    this.held++;
    this.erase();
    let resumed = false;
    return () => {
      if (resumed) return;
      resumed = true;
      if (--this.held > 0) return;
      for (const [stream, line] of this.waiting.splice(0)) stream.write(line);
      this.draw();
    };
  }

  /** Leaves the last state on screen. */
  close(): void {
    this.draw();
    this.closed = true;
  }

  private rowText(r: Row, i: number): string {
    const label = (this.o.labels[i] ?? '').slice(0, this.labelWidth).padEnd(this.labelWidth);
    const p = r.progress;
    const what = p ? `${p.label} ${bar(p.done, p.total)}` : r.status;
    // A wrapped row would break the cursor arithmetic of the next redraw.
    return `${tag(i)} ${label}  ${what}`.slice(0, Math.max(20, (this.o.stream.columns || 100) - 1));
  }

  private erase(): void {
    if (this.drawn > 0) this.o.stream.write(`\x1b[${this.drawn}A\r\x1b[0J`);
    this.drawn = 0;
  }

  private draw(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.closed || this.held > 0) return;
    this.erase();
    this.o.stream.write(this.rows.map((r, i) => this.rowText(r, i) + '\n').join(''));
    this.drawn = this.rows.length;
    this.lastDraw = Date.now();
  }
}

export interface FleetRow {
  port: string;
  serial: string | null;
  overall: string;
  exitCode: number;
  dir: string;
  stopReason: string | null;
}

/** One line per terminal after all jobs ended, and the exit code the command returns. */
export function fleetTable(rows: FleetRow[], exitCode: number): string {
  const passed = rows.filter((r) => r.exitCode === 0).length;
  const port = Math.max(4, ...rows.map((r) => r.port.length));
  const serial = Math.max(6, ...rows.map((r) => (r.serial ?? '?').length));
  const lines = [
    '',
    `${rows.length} terminals: ${passed} finished with exit 0, ${rows.length - passed} did not; exit code ${exitCode}${passed < rows.length ? ' (the worst)' : ''}`,
    ...rows.map((r, i) =>
      [
        `  [${i + 1}]`,
        r.port.padEnd(port),
        (r.serial ?? '?').padEnd(serial),
        r.overall.padEnd(10),
        `exit ${r.exitCode}`.padEnd(7),
        r.stopReason ? `stopped: ${r.stopReason}` : r.dir,
      ].join('  '),
    ),
  ];
  return lines.join('\n') + '\n';
}
