// The chat panel: messages travel on a meeting.pubSub topic (see app.ts), persisted for late joiners.
import type { JsonValue } from "../lib/index.js";
import { appendScrolled, clockTime, el, hueFor } from "./dom.js";

/** Longest chat message the demo sends (the library itself allows 16 KiB of JSON). */
export const MAX_CHAT_LENGTH = 2000;

/** The text of a chat payload, or null when the payload is not one of ours. */
export function chatText(payload: JsonValue): string | null {
  if (typeof payload !== "object" || payload === null || Array.isArray(payload)) return null;
  const text = payload.text;
  if (typeof text !== "string") return null;
  const trimmed = text.trim();
  return trimmed ? trimmed.slice(0, MAX_CHAT_LENGTH) : null;
}

export interface ChatElements {
  form: HTMLFormElement;
  input: HTMLInputElement;
  button: HTMLButtonElement;
  messages: HTMLElement;
  error: HTMLElement;
  empty: HTMLElement;
}

export class Chat {
  /** Called with the trimmed text when the user sends; throw to report a failure. */
  onSend: (text: string) => void = () => {};

  constructor(private readonly ui: ChatElements) {
    ui.input.maxLength = MAX_CHAT_LENGTH;
    ui.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
  }

  addMessage(author: { id: string; displayName: string }, text: string, own: boolean, at: Date = new Date()): void {
    const name = el("span", { className: "chat-author", text: own ? "You" : author.displayName });
    name.style.setProperty("--hue", String(hueFor(author.id)));
    const item = el(
      "li",
      { className: own ? "chat-message own" : "chat-message", testid: "chat-message" },
      el("div", { className: "chat-meta" }, name, el("time", { className: "chat-time", text: clockTime(at) })),
      el("p", { className: "chat-text", text }),
    );
    this.append(item);
  }

  /** A quiet line such as "Ada joined". */
  addNotice(text: string): void {
    this.append(el("li", { className: "chat-notice", text, testid: "chat-notice" }));
  }

  setEnabled(enabled: boolean): void {
    this.ui.input.disabled = !enabled;
    this.ui.button.disabled = !enabled;
  }

  clear(): void {
    this.ui.messages.replaceChildren();
    this.ui.empty.hidden = false;
    this.showError(null);
  }

  showError(message: string | null): void {
    this.ui.error.hidden = message === null;
    this.ui.error.textContent = message ?? "";
  }

  private append(item: HTMLElement): void {
    this.ui.empty.hidden = true;
    appendScrolled(this.ui.messages, item);
  }

  private submit(): void {
    const text = this.ui.input.value.trim();
    if (!text) return;
    try {
      this.onSend(text);
      this.ui.input.value = "";
      this.showError(null);
    } catch (error) {
      this.showError(error instanceof Error ? error.message : String(error));
    }
    this.ui.input.focus();
  }
}
