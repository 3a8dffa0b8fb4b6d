/**
 * What the technician sees. On a TTY: a live progress bar for long steps. Otherwise (CI, a
 * pipe, a log file): plain timestamped lines, progress at most every 10%. With --json the
 * human text goes to stderr so stdout carries only the JSON summary.
 */
export interface Reporter {
  step(text: string): void;
  info(text: string): void;
  warn(text: string): void;
  /** The one-line reason a job ended badly: always on stderr, whatever stream the rest uses. */
  error(text: string): void;
  progress(label: string, done: number, total: number): void;
  endProgress(): void;
  /** Free text meant for the human (plans, tables). */
  print(text: string): void;
}

export interface ReporterOptions {
  stream: NodeJS.WriteStream;
  tty: boolean;
  quiet?: boolean;
  /** Prefix for every line, e.g. the terminal's serial when several run at once. */
  prefix?: string;
  errorStream?: NodeJS.WritableStream;
}

function stamp(): string {
  return new Date().toISOString().slice(11, 19);
}

function bar(done: number, total: number, width = 28): string {
  const fraction = total > 0 ? Math.min(1, done / total) : 1;
  const filled = Math.round(fraction * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}%`;
}

function human(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

export function createReporter(o: ReporterOptions): Reporter {
  const prefix = o.prefix ? `${o.prefix} ` : '';
  let lastDecile = new Map<string, number>();
  let barShown = false;
  const write = (text: string) => {
    if (o.quiet) return;
    if (barShown) {
      o.stream.write('\r\x1b[2K');
      barShown = false;
    }
    o.stream.write(text);
  };
  const line = (mark: string, text: string) =>
    write(o.tty ? `${prefix}${mark} ${text}\n` : `${stamp()} ${prefix}${mark} ${text}\n`);
  return {
    step: (text) => line('==>', text),
    info: (text) => line('   ', text),
    warn: (text) => line('!! ', text),
    print: (text) => write(text.endsWith('\n') ? text : text + '\n'),
    error: (text) => {
      if (barShown) {
        o.stream.write('\n');
        barShown = false;
      }
      (o.errorStream ?? process.stderr).write(`posdecom: ${prefix}${text}\n`);
    },
    progress(label, done, total) {
      if (o.quiet) return;
      if (o.tty) {
        o.stream.write(`\r\x1b[2K${prefix}    ${label} ${bar(done, total)} ${human(done)} / ${human(total)}`);
        barShown = true;
        return;
      }
      const decile = total > 0 ? Math.floor((done / total) * 10) : 10;
      if ((lastDecile.get(label) ?? -1) >= decile) return;
      lastDecile.set(label, decile);
      line('   ', `${label} ${decile * 10}% (${human(done)} of ${human(total)})`);
    },
    endProgress() {
      if (barShown) {
        o.stream.write('\n');
        barShown = false;
      }
      lastDecile = new Map();
    },
  };
}
