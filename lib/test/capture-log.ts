// A Logger that keeps what it is told, for tests that check what the library logs.
import type { Logger } from "../log.js";

export interface CapturedLog {
  logger: Logger;
  /** Every line so far, as "<level> <message>". */
  lines: string[];
  /** Resolves at the next message that contains `match`. */
  next(match: string): Promise<void>;
}

export function captureLog(): CapturedLog {
  const lines: string[] = [];
  const waiters = new Set<(message: string) => void>();
  const at = (level: string) => (message: string) => {
    lines.push(`${level} ${message}`);
    for (const waiter of [...waiters]) waiter(message);
  };
  const next = (match: string): Promise<void> =>
    new Promise((resolve) => {
      const waiter = (message: string): void => {
        if (!message.includes(match)) return;
        waiters.delete(waiter);
        resolve();
      };
      waiters.add(waiter);
    });
  return { lines, next, logger: { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") } };
}
