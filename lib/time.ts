// Bounded waits on the real clock, for the meeting (media prompt) and the test kit. The mesh's own
// timers live in clock.ts.

/**
 * What `promise` resolves with, or `fallback` when it rejects or takes longer than `ms`. Never
 * rejects; leaves no timer behind.
 */
export function within<T, F>(promise: Promise<T>, ms: number, fallback: F): Promise<T | F> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(fallback), Math.max(0, ms));
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      () => {
        clearTimeout(timer);
        resolve(fallback);
      },
    );
  });
}

/** Waits for `promise`, but no longer than `ms`. Never rejects; leaves no timer behind. */
export async function bounded(promise: Promise<unknown>, ms: number): Promise<void> {
  await within(promise, ms, undefined);
}
