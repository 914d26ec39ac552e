// The host's waiting room: one row per newcomer asking to join, with Admit and Deny.
import type { EntryRequest } from "../lib/index.js";
import { el } from "./dom.js";

export class EntryRequests {
  private readonly rows = new Map<string, HTMLElement>();

  constructor(
    private readonly panel: HTMLElement,
    private readonly list: HTMLElement,
  ) {}

  add(request: EntryRequest): void {
    this.remove(request.participantId);
    const decide = (allow: boolean): void => {
      if (allow) request.allow();
      else request.deny();
      this.remove(request.participantId);
    };
    const admit = el("button", { className: "button button-primary button-small", text: "Admit", testid: "entry-allow" });
    admit.type = "button";
    admit.addEventListener("click", () => decide(true));
    const deny = el("button", { className: "button button-secondary button-small", text: "Deny", testid: "entry-deny" });
    deny.type = "button";
    deny.addEventListener("click", () => decide(false));
    const row = el(
      "li",
      { className: "entry-request", testid: "entry-request", attrs: { "data-participant-id": request.participantId } },
      el("span", { className: "entry-name", text: `${request.name} wants to join` }),
      el("span", { className: "entry-actions" }, admit, deny),
    );
    this.rows.set(request.participantId, row);
    this.list.append(row);
    this.panel.hidden = false;
  }

  /** The request was answered (here or, for the newcomer, elsewhere) or lapsed. */
  remove(participantId: string): void {
    this.rows.get(participantId)?.remove();
    this.rows.delete(participantId);
    this.panel.hidden = this.rows.size === 0;
  }

  clear(): void {
    for (const id of [...this.rows.keys()]) this.remove(id);
  }
}
