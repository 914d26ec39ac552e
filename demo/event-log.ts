// The event log panel: one timestamped line per thing that happened, newest at the bottom.
import { appendScrolled, el, preciseTime } from "./dom.js";

export type LogTone = "info" | "good" | "warn" | "bad";

export class EventLog {
  constructor(
    private readonly list: HTMLElement,
    private readonly counter: HTMLElement,
  ) {}

  /** Adds a line: `event` is the library's event name (or a demo action), `detail` says what it carried. */
  add(event: string, detail = "", tone: LogTone = "info"): void {
    const now = new Date();
    const entry = el(
      "li",
      { className: `log-entry tone-${tone}`, testid: "event-log-entry", attrs: { "data-event": event } },
      el("time", { className: "log-time", text: preciseTime(now), attrs: { datetime: now.toISOString() } }),
      el("code", { className: "log-event", text: event }),
      el("span", { className: "log-detail", text: detail }),
    );
    appendScrolled(this.list, entry);
    this.updateCount();
  }

  clear(): void {
    this.list.replaceChildren();
    this.updateCount();
  }

  private updateCount(): void {
    this.counter.textContent = String(this.list.childElementCount);
  }
}
