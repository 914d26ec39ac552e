// One operation at a time: join, leave, end, host elections and rehomes each run alone, in order,
// and can be cancelled (leave() during join() aborts the join instead of racing it).

/** Thrown (or rejected with) by an operation whose signal was aborted. */
export class Cancelled extends Error {
  constructor(what: string) {
    super(`${what} was cancelled`);
    this.name = "Cancelled";
  }
}

interface Entry {
  readonly name: string;
  readonly controller: AbortController;
  done: Promise<unknown>;
  // Set the moment the operation starts: `once` must not join an operation that may have decided
  // already (a host election that has passed the point where it would claim the anchor).
  started: boolean;
}

export class OpQueue {
  private tail: Promise<unknown> = Promise.resolve();
  // Queued and running operations, oldest first.
  private readonly entries: Entry[] = [];

  /**
   * Runs `op` after every operation queued before it. Its signal aborts when cancel() is called;
   * `op` is expected to check it after each await and stop.
   * With `once`, an operation of the same name queued and not yet started is joined instead; one that
   * is running gets another run after it (it may be past what the new request needs done).
   */
  run<T>(name: string, op: (signal: AbortSignal) => Promise<T>, once = false): Promise<T> {
    if (once) {
      const same = this.entries.find((e) => e.name === name && !e.started && !e.controller.signal.aborted);
      if (same) return same.done as Promise<T>;
    }
    const controller = new AbortController();
    const entry: Entry = { name, controller, done: Promise.resolve(), started: false };
    const done = this.tail.then(async () => {
      entry.started = true;
      if (controller.signal.aborted) throw new Cancelled(name);
      return await op(controller.signal);
    });
    entry.done = done;
    this.entries.push(entry);
    const settle = (): void => {
      const at = this.entries.indexOf(entry);
      if (at >= 0) this.entries.splice(at, 1);
    };
    this.tail = done.then(settle, settle);
    return done;
  }

  /** Aborts every queued and running operation (each rejects or returns early). */
  cancel(): void {
    for (const entry of this.entries) entry.controller.abort();
  }

  /** Names of queued and running operations, oldest first (for logs and tests). */
  get pending(): string[] {
    return this.entries.map((e) => e.name);
  }
}

/** Resolves with `promise`'s value, or with `fallback` as soon as `signal` aborts. */
export function unlessAborted<T, F>(promise: Promise<T>, signal: AbortSignal, fallback: F): Promise<T | F> {
  if (signal.aborted) return Promise.resolve(fallback);
  return new Promise((resolve, reject) => {
    const onAbort = (): void => resolve(fallback);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}
