// Bounded waits for the tests: every wait is for an event or a condition re-checked on events, and
// fails with a clear message after a timeout instead of hanging the run.

/** Resolves when `check()` holds, re-checking whenever `subscribe`'s wake-up fires; rejects after `ms`. */
export function until(
  what: string,
  check: () => boolean,
  subscribe: (wake: () => void) => () => void,
  ms: number,
  detail?: () => string,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (check()) {
      resolve();
      return;
    }
    let done = false;
    const finish = (error?: Error): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      unsubscribe();
      if (error) reject(error);
      else resolve();
    };
    const timer = setTimeout(() => {
      const extra = detail ? `; ${detail()}` : "";
      finish(new Error(`timed out after ${ms} ms waiting for ${what}${extra}`));
    }, ms);
    // Re-check once the emitting code has finished its own bookkeeping.
    const unsubscribe = subscribe(() => queueMicrotask(() => check() && finish()));
  });
}

/** Rejects with `what` when `promise` has not settled within `ms`. */
export function within<T>(what: string, promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** Waits `ms` on purpose: only for asserting that something does NOT happen in that time. */
export function quietPeriod(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The error a promise rejects with (fails when it resolves instead). */
export async function rejection(promise: Promise<unknown>, ms = 5000): Promise<unknown> {
  try {
    await within("a rejection", promise, ms);
  } catch (error) {
    return error;
  }
  throw new Error("expected the promise to reject, but it resolved");
}

/** The error `fn` throws (fails when it returns). */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected a throw, but the call returned");
}

/** The `code` of a MeshError-like value, for assert.equal. */
export function codeOf(error: unknown): unknown {
  return typeof error === "object" && error !== null && "code" in error ? error.code : error;
}
