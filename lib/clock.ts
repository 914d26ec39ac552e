// Time, injected. Every timer of a meeting belongs to one Timers group, so that closing the meeting
// clears them all at once and unit tests can drive them from a fake clock.

/** Where time comes from: the real one in browsers, a fake one in unit tests. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>),
};

/** A cancel function: stops one timer (idempotent). */
export type Cancel = () => void;

/**
 * The timers one part (or one whole meeting) owns. `clear()` stops every one of them and wakes every
 * sleeper, so nothing outlives the owner and no await hangs on a timer that will never fire.
 */
export class Timers {
  private readonly live = new Map<object, { handle: unknown; wake: (() => void) | null }>();
  private cleared = false;

  constructor(readonly clock: Clock = realClock) {}

  now(): number {
    return this.clock.now();
  }

  /** Runs `fn` once after `ms`; nothing once the group is cleared. */
  after(ms: number, fn: () => void, wake: (() => void) | null = null): Cancel {
    if (this.cleared) return () => undefined;
    const key = {};
    const handle = this.clock.setTimeout(() => {
      this.live.delete(key);
      fn();
    }, Math.max(0, ms));
    this.live.set(key, { handle, wake });
    return () => {
      const entry = this.live.get(key);
      if (!entry) return;
      this.live.delete(key);
      this.clock.clearTimeout(entry.handle);
    };
  }

  /** Runs `fn` every `ms` until cancelled or cleared. */
  every(ms: number, fn: () => void): Cancel {
    let cancel: Cancel = () => undefined;
    let stopped = false;
    const arm = (): void => {
      cancel = this.after(ms, () => {
        if (stopped) return;
        arm();
        fn();
      });
    };
    arm();
    return () => {
      stopped = true;
      cancel();
    };
  }

  /** Resolves after `ms`, or at once when the group is cleared. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.cleared) return resolve();
      this.after(ms, resolve, resolve);
    });
  }

  /** Resolves when `promise` settles, `ms` passed, or the group is cleared; never rejects. */
  bound(promise: Promise<unknown>, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const cancel = this.after(ms, resolve, resolve);
      const done = (): void => {
        cancel();
        resolve();
      };
      promise.then(done, done);
      if (this.cleared) resolve();
    });
  }

  /** Stops every timer; sleepers wake. Later timers are refused. */
  clear(): void {
    this.cleared = true;
    const entries = [...this.live.values()];
    this.live.clear();
    for (const entry of entries) {
      this.clock.clearTimeout(entry.handle);
      entry.wake?.();
    }
  }

  /** How many timers are pending (tests check that a closed part left none). */
  get pending(): number {
    return this.live.size;
  }
}
