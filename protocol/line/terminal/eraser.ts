import { realClock, type Clock, type ClockTimer } from '../../clock.js';
import { overlay, type Layout } from '../../simulator/content/layout.js';
import { passFills, type Store } from './store.js';
import type { EraseJob } from './state-file.js';
import type { EraseMethod } from '../../domain.js';

/**
 * The flash controller: erases one store at a time at `bytesPerSecond` per pass, in the order
 * the jobs were accepted (later jobs wait, reporting `running` with done 0). Progress is
 * checkpointed to the state file every 10%, and a job found running at start-up resumes from
 * its last checkpoint, as a real controller resumes from its journal after a power cut.
 */
export interface EraserHost {
  stores: ReadonlyMap<string, Store>;
  jobs: Map<string, EraseJob>;
  persist(): void;
  progress(job: EraseJob): void;
  /** Called on every advance, so a disconnect fault can fire at a given point. */
  advanced(job: EraseJob): void;
}

const TICK_MS = 20;
const STEPS = 10;

export class Eraser {
  private timer: ClockTimer | undefined;
  private active: { job: EraseJob; from: number; since: number } | undefined;
  private stopped = false;

  constructor(
    private readonly host: EraserHost,
    private readonly bytesPerSecond: number,
    private readonly clock: Clock = realClock,
  ) {}

  /** Accepts a job; it runs now or after the jobs before it. */
  enqueue(
    op: string,
    store: Store,
    method: EraseMethod,
    opts: { failAt: number | null; lie: boolean },
  ): EraseJob {
    const passes = passFills(method, '').length;
    const job: EraseJob = {
      op,
      store: store.name,
      method,
      passes,
      total: store.size * passes,
      done: 0,
      state: 'running',
      salt: `${store.state.eraseCount + 1}`,
      before: store.state.layout,
      failAt: opts.failAt,
      lie: opts.lie,
    };
    store.state = { ...store.state, eraseCount: store.state.eraseCount + 1 };
    this.host.jobs.set(op, job);
    this.schedule();
    return job;
  }

  /** The job currently running on `store`, if any (waiting jobs included). */
  runningOn(store: string): EraseJob | undefined {
    for (const job of this.host.jobs.values()) if (job.store === store && job.state === 'running') return job;
    return undefined;
  }

  /** Starts (or resumes, after a restart) the oldest running job, on the next turn of the event loop. */
  schedule(): void {
    if (this.stopped || this.timer) return;
    // Deferred so ERASE's own response leaves before the job's first PROGRESS event.
    this.timer = this.clock.setTimeout(() => this.advance(), 0);
  }

  stop(): void {
    this.stopped = true;
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private advance(): void {
    this.timer = undefined;
    const now = this.clock.now();
    if (!this.active) {
      const next = [...this.host.jobs.values()].find((j) => j.state === 'running');
      if (!next) return;
      this.active = { job: next, from: next.done, since: now };
    }
    const { job, from, since } = this.active;
    const store = this.host.stores.get(job.store);
    let done = Math.min(job.total, Math.floor(from + ((now - since) * this.bytesPerSecond) / 1000));
    if (!store) done = job.total;
    const failing = job.failAt !== null && done >= job.failAt;
    if (failing) done = job.failAt!;
    const step = (n: number) => (job.total === 0 ? STEPS : Math.floor((n * STEPS) / job.total));
    const crossed = step(done) > step(job.done) || done === job.total;
    job.done = done;
    if (store && !job.lie) store.state = { ...store.state, layout: layoutAt(job, store.size) };
    if (failing) {
      job.state = 'failed';
    } else if (done === job.total) {
      job.state = 'done';
      // Under erase-lie the bytes were never touched; only the claim changes.
      if (store) store.state = { ...store.state, erased: true, method: job.method, lied: job.lie };
    }
    if (crossed || job.state !== 'running') {
      this.host.persist();
      if (job.state !== 'failed') this.host.progress(job);
    }
    this.host.advanced(job);
    if (job.state !== 'running') this.active = undefined;
    if (this.stopped) return;
    const more = job.state === 'running' || [...this.host.jobs.values()].some((j) => j.state === 'running');
    if (more) this.timer = this.clock.setTimeout(() => this.advance(), job.state === 'running' ? TICK_MS : 0);
  }
}

/** What the store holds when `job` has done job.done of its passes. */
function layoutAt(job: EraseJob, size: number): Layout {
  const fills = passFills(job.method, job.salt);
  if (size === 0 || job.done >= job.total) return { base: fills[fills.length - 1]! };
  const pass = Math.floor(job.done / size);
  const within = job.done - pass * size;
  const under: Layout = pass === 0 ? job.before : { base: fills[pass - 1]! };
  return overlay(under, fills[pass]!, within);
}
