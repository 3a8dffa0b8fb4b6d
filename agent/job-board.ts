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
  const tag = (i: number) => `[${i + 1}]`;
  let done = 0;
  if (!o.tty) {
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

  const rows: Row[] = o.labels.map(() => ({ status: 'waiting', progress: undefined }));
  const labelWidth = Math.min(32, Math.max(...o.labels.map((l) => l.length)));
  let drawn = 0;
  let lastDraw = 0;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let held = 0;
  const waiting: [NodeJS.WritableStream, string][] = [];

  const rowText = (r: Row, i: number): string => {
    const label = (o.labels[i] ?? '').slice(0, labelWidth).padEnd(labelWidth);
    const p = r.progress;
    const what = p ? `${p.label} ${bar(p.done, p.total)}` : r.status;
    // A wrapped row would break the cursor arithmetic of the next redraw.
    return `${tag(i)} ${label}  ${what}`.slice(0, Math.max(20, (o.stream.columns || 100) - 1));
  };
  const erase = () => {
    if (drawn > 0) o.stream.write(`\x1b[${drawn}A\r\x1b[0J`);
    drawn = 0;
  };
  const draw = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (closed || held > 0) return;
    erase();
    o.stream.write(rows.map((r, i) => rowText(r, i) + '\n').join(''));
    drawn = rows.length;
    lastDraw = Date.now();
  };
  const drawSoon = () => {
    if (timer || closed) return;
    const wait = Math.max(0, REDRAW_MS - (Date.now() - lastDraw));
    timer = setTimeout(draw, wait);
    timer.unref();
  };
  const log = (stream: NodeJS.WritableStream, text: string) => {
    const line = text.endsWith('\n') ? text : text + '\n';
    if (held > 0) {
      waiting.push([stream, line]);
      return;
    }
    erase();
    stream.write(line);
    draw();
  };

  return {
    reporter(i): Reporter {
      const row = rows[i]!;
      const line = (mark: string, text: string) => log(o.stream, `${tag(i)} ${mark} ${text}`);
      return {
        step(text) {
          row.status = text;
          row.progress = undefined;
          line('==>', text);
        },
        info: (text) => line('   ', text),
        warn: (text) => line('!! ', text),
        error: (text) => log(o.errorStream ?? process.stderr, `posdecom: ${tag(i)} ${text}`),
        print: (text) => log(o.stream, text),
        progress(label, doneBytes, total) {
          row.progress = { label, done: doneBytes, total };
          drawSoon();
        },
        endProgress() {
          row.progress = undefined;
          drawSoon();
        },
      };
    },
    finished(i, overall, exitCode) {
      done++;
      rows[i]!.status = `done: ${overall} (exit ${exitCode})`;
      rows[i]!.progress = undefined;
      log(
        o.stream,
        `${tag(i)} finished: ${overall}, exit ${exitCode} (${done} of ${o.labels.length} terminals done)`,
      );
    },
    suspend() {
      held++;
      erase();
      let resumed = false;
      return () => {
        if (resumed) return;
        resumed = true;
        if (--held > 0) return;
        for (const [stream, line] of waiting.splice(0)) stream.write(line);
        draw();
      };
    },
    close() {
      draw();
      closed = true;
    },
  };
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
