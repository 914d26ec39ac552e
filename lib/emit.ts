import type { Emitter, EventType } from "mitt";

/**
 * Emits `payload` to the app's handlers of `type`. A handler that throws must not break the library's
 * bookkeeping, nor keep the other handlers from running: its error is rethrown on its own stack, where
 * the app's global error handler sees it.
 */
export function emitSafely<Events extends Record<EventType, unknown>, K extends keyof Events>(
  emitter: Emitter<Events>,
  type: K,
  payload: Events[K],
): void {
  for (const handler of [...(emitter.all.get(type) ?? [])]) {
    try {
      (handler as (event: Events[K]) => void)(payload);
    } catch (error) {
      setTimeout(() => {
        throw error;
      }, 0);
    }
  }
}
