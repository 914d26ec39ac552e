// The banner above the videos: what went wrong during the meeting, in words, with a way to dismiss it.
// Advice a person has to act on (a blocked camera) stays until dismissed; news fades after a while.
import { withCommands } from "./dom.js";

/** Long enough to read two sentences. */
const FADE_MS = 12_000;

export class Notice {
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly root: HTMLElement,
    private readonly text: HTMLElement,
    close: HTMLButtonElement,
  ) {
    close.addEventListener("click", () => this.hide());
  }

  /** Shows `message` (`npm start` in backticks as code); `sticky` keeps it until dismissed or replaced. */
  show(message: string, { sticky = false, tone = "warn" }: { sticky?: boolean; tone?: "warn" | "error" } = {}): void {
    clearTimeout(this.timer);
    this.text.replaceChildren(...withCommands(message));
    this.root.classList.toggle("alert-warn", tone === "warn");
    this.root.classList.toggle("alert-error", tone === "error");
    this.root.hidden = false;
    if (!sticky) this.timer = setTimeout(() => this.hide(), FADE_MS);
  }

  hide(): void {
    clearTimeout(this.timer);
    this.root.hidden = true;
    this.text.textContent = "";
  }
}
