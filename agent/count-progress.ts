/**
 * Progress of work counted in items (certificates verified), for `report`. On a TTY one line
 * redrawn in place, at most every 100 ms; otherwise (CI, a pipe) a timestamped line at each
 * tenth, so a log reads top to bottom without thousands of lines.
 */
export interface CountProgress {
  update(done: number, total: number): void;
  /** Leaves the last state on screen (TTY) and ends the line. */
  end(): void;
}

const REDRAW_MS = 100;

export function createCountProgress(o: {
  stream: NodeJS.WritableStream;
  tty: boolean;
  label: string;
  unit: string;
}): CountProgress {
  let lastDraw = 0;
  let lastTenth = -1;
  let drawn: { done: number; total: number } | undefined;
  const draw = (done: number, total: number) => {
    const fraction = total > 0 ? Math.min(1, done / total) : 1;
    const filled = Math.round(fraction * 28);
    const bar = `[${'#'.repeat(filled)}${'.'.repeat(28 - filled)}]`;
    const percent = `${(fraction * 100).toFixed(0).padStart(3)}%`;
    o.stream.write(`\r\x1b[2K${o.label} ${bar} ${percent} ${done} / ${total} ${o.unit}`);
    drawn = { done, total };
  };
  return {
    update(done, total) {
      if (o.tty) {
        const now = Date.now();
        if (now - lastDraw < REDRAW_MS && done < total) return;
        lastDraw = now;
        draw(done, total);
        return;
      }
      const tenth = total > 0 ? Math.floor((done / total) * 10) : 10;
      if (tenth <= lastTenth) return;
      lastTenth = tenth;
      const stamp = new Date().toISOString().slice(11, 19);
      const percent = Math.floor((done / Math.max(1, total)) * 100);
      o.stream.write(`${stamp} ${o.label} ${done} of ${total} ${o.unit} (${percent}%)\n`);
    },
    end() {
      if (o.tty && drawn) o.stream.write('\n');
      drawn = undefined;
    },
  };
}
