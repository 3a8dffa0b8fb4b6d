/**
 * Long computations (digesting or scanning a store of hundreds of megabytes) are written once
 * as generators that yield between chunks, then run either to completion at once (test
 * helpers) or with a turn of the event loop between chunks, so output pacing and erase timers
 * keep their schedule while a big store is hashed.
 */
export type Steps<T> = Generator<void, T, void>;

export function runSync<T>(steps: Steps<T>): T {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

export async function runAsync<T>(steps: Steps<T>): Promise<T> {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
