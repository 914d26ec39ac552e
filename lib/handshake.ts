// Goodbyes and terminates wait for each link's acknowledgement, within a bound.
import type { Timers } from "./clock.js";
import type { Link } from "./link.js";
import type { LinkMessage } from "./protocol.js";

export class Acks {
  private readonly waiters = new Map<Link, () => void>();

  constructor(private readonly timers: Timers) {}

  /** `link` acknowledged, or closed: either way it is no longer waited for. */
  settle(link: Link): void {
    this.waiters.get(link)?.();
  }

  /**
   * Sends `message` on every open link of `links` and waits until each has acknowledged or closed,
   * or `waitMs` passed, resending every `resendMs` (0: never) on the links that have not answered.
   */
  async handshake(links: Iterable<Link>, message: LinkMessage, waitMs: number, resendMs: number): Promise<void> {
    const outstanding = new Set([...links].filter((l) => l.state === "open"));
    if (outstanding.size === 0) return;
    await new Promise<void>((resolve) => {
      const finish = (): void => {
        stopTimer();
        stopResend();
        for (const link of outstanding) this.waiters.delete(link);
        resolve();
      };
      // Cleared with its owner's timers (the meeting closed meanwhile): stop waiting.
      const stopTimer = this.timers.after(waitMs, finish, finish);
      const stopResend = resendMs > 0 ? this.timers.every(resendMs, () => outstanding.forEach((l) => l.send(message))) : () => undefined;
      for (const link of outstanding) {
        this.waiters.set(link, () => {
          this.waiters.delete(link);
          outstanding.delete(link);
          if (outstanding.size === 0) finish();
        });
        link.send(message);
      }
    });
  }
}
