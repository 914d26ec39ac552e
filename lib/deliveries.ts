// App messages that survive a link healing: each message to a member is numbered, kept until the member
// acknowledges it, and sent again, in order, on the member's next link. The receiver delivers each number
// once. A link is transport that can fail and be replaced; what the app sent must not fail with it.
import type { Cancel, Timers } from "./clock.js";
import type { JsonValue, LinkMessage } from "./protocol.js";

// Unacknowledged messages kept per member, by count and by encoded size: a member that stays away for
// long must not hold the sender's memory hostage. Beyond either, send() reports an overflow.
export const MAX_UNACKED = 1000;
export const MAX_UNACKED_CHARS = 2 * 1024 * 1024;
// Acks are batched: one per member at most this often, covering everything delivered meanwhile.
const ACK_DELAY_MS = 100;
// What is not acknowledged this long after it was sent goes again (on whatever link is current then):
// a link that came back, or one that replaced it while the other side still used the old one, may have
// swallowed it. The receiver drops what it already has.
export const RESEND_AFTER_MS = 1500;

interface Pending {
  n: number;
  direct: boolean;
  payload: JsonValue;
  topic: string | null;
  chars: number;
  sentAt: number;
}

interface Outbox {
  next: number;
  unacked: Pending[];
  chars: number;
}

export interface DeliveriesDeps {
  timers: Timers;
  /** Sends on `id`'s current link if it is up and said hello; false when nothing was sent. */
  send(id: string, message: LinkMessage): boolean;
}

export class Deliveries {
  private readonly out = new Map<string, Outbox>();
  // The highest number delivered from each member.
  private readonly delivered = new Map<string, number>();
  private readonly ackTimers = new Map<string, Cancel>();
  private ticker: Cancel | null = null;

  constructor(private readonly deps: DeliveriesDeps) {}

  /** Starts resending what stays unacknowledged. */
  start(): void {
    this.ticker ??= this.deps.timers.every(RESEND_AFTER_MS / 2, () => {
      const now = this.deps.timers.now();
      for (const [id, box] of this.out) if (box.unacked.length > 0 && now - box.unacked[0]!.sentAt >= RESEND_AFTER_MS) this.resume(id);
    });
  }

  /**
   * Numbers `payload` for `id`, keeps it until acknowledged and sends it now if the link is up.
   * False when `id`'s backlog is full: nothing was queued.
   */
  enqueue(id: string, payload: JsonValue, direct: boolean, chars: number, topic: string | null = null): boolean {
    let box = this.out.get(id);
    if (!box) {
      box = { next: 0, unacked: [], chars: 0 };
      this.out.set(id, box);
    }
    if (box.unacked.length >= MAX_UNACKED || box.chars + chars > MAX_UNACKED_CHARS) return false;
    const pending: Pending = { n: box.next++, direct, payload, topic, chars, sentAt: this.deps.timers.now() };
    box.unacked.push(pending);
    box.chars += chars;
    this.deps.send(id, wire(pending));
    return true;
  }

  /** enqueue() for each of `ids`; `full` hears of each whose backlog refused it. Returns how many took it. */
  sendTo(
    ids: string[],
    payload: JsonValue,
    direct: boolean,
    chars: number,
    full: (id: string, waiting: number) => void,
    topic: string | null = null,
  ): number {
    let queued = 0;
    for (const id of ids) {
      if (this.enqueue(id, payload, direct, chars, topic)) queued++;
      else full(id, this.backlog(id));
    }
    return queued;
  }

  /**
   * `id` has a new link (or its old one came back), or what it has not acknowledged is overdue: all of it
   * goes again, in order.
   */
  resume(id: string): void {
    const now = this.deps.timers.now();
    for (const p of this.out.get(id)?.unacked ?? []) {
      if (!this.deps.send(id, wire(p))) return;
      p.sentAt = now;
    }
  }

  /** App message `n` from `id` arrived: true when it is new (deliver it), false when it came before. */
  accept(id: string, n: number): boolean {
    const last = this.delivered.get(id);
    if (last !== undefined && n <= last) return false;
    this.delivered.set(id, n);
    if (!this.ackTimers.has(id)) {
      this.ackTimers.set(
        id,
        this.deps.timers.after(ACK_DELAY_MS, () => {
          this.ackTimers.delete(id);
          const upTo = this.delivered.get(id);
          if (upTo !== undefined) this.deps.send(id, { v: 1, t: "ack", n: upTo });
        }),
      );
    }
    return true;
  }

  /** `id` has everything up to `n`. */
  acked(id: string, n: number): void {
    const box = this.out.get(id);
    if (!box) return;
    while (box.unacked.length > 0 && box.unacked[0]!.n <= n) box.chars -= box.unacked.shift()!.chars;
  }

  /** Messages sent to `id` and not acknowledged yet. */
  backlog(id: string): number {
    return this.out.get(id)?.unacked.length ?? 0;
  }

  /** `id` left, or came back as a new incarnation (a new key): nothing of before counts any more. */
  forget(id: string): void {
    this.out.delete(id);
    this.delivered.delete(id);
    this.ackTimers.get(id)?.();
    this.ackTimers.delete(id);
  }
}

function wire(p: Pending): LinkMessage {
  const message: LinkMessage = { v: 1, t: "app", n: p.n, direct: p.direct, payload: p.payload };
  return p.topic === null ? message : { ...message, topic: p.topic };
}
