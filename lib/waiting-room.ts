// The host's waiting room: newcomers who knocked and wait for the app's allow() or deny(). Pure rules
// with time passed in; the anchor (anchor.ts) answers the knocks and sends welcomes and denials.

/** A newcomer's latest knock: where to answer it (broker id), its nonce and key, the name it gave. */
export interface Waiter {
  src: string;
  nonce: string;
  key: string;
  name: string;
  /** When it last knocked. */
  at: number;
}

// A waiter knocks again every couple of seconds (join.ts KNOCK_WAIT_MS): one not heard from for this
// long gave up (closed its tab, timed out) and is forgotten.
const WAITER_TTL_MS = 10_000;
// Newcomers waiting at once; past it the oldest is forgotten (a flood of knocking ids must not grow memory).
const MAX_WAITING = 64;
// Allowed newcomers remembered until they arrive (their next knock is admitted at once).
const MAX_ALLOWED = 256;

/** What to do with a knock: admit it now, or keep it waiting (`ask`: the app must be asked about it). */
export type KnockVerdict = { admit: true } | { admit: false; ask: boolean };

export class WaitingRoom {
  private readonly waiting = new Map<string, Waiter>();
  private readonly allowed = new Set<string>();

  constructor(readonly enabled: boolean) {}

  /** A knock from `id` (not a member). The app is asked once per wait; later knocks only keep it alive. */
  knock(id: string, waiter: Waiter): KnockVerdict {
    if (!this.enabled || this.allowed.has(id)) return { admit: true };
    this.expire(waiter.at);
    const known = this.waiting.has(id);
    this.waiting.delete(id);
    this.waiting.set(id, waiter);
    if (this.waiting.size > MAX_WAITING) this.waiting.delete(this.waiting.keys().next().value as string);
    return { admit: false, ask: !known };
  }

  /** The app allowed `id`: its latest knock (to answer now), or null when it is not waiting (gone, or decided). */
  allow(id: string): Waiter | null {
    const waiter = this.take(id);
    if (waiter === null) return null;
    this.allowed.add(id);
    if (this.allowed.size > MAX_ALLOWED) this.allowed.delete(this.allowed.values().next().value as string);
    return waiter;
  }

  /** The app denied `id`: its latest knock (to answer now), or null when it is not waiting. */
  deny(id: string): Waiter | null {
    return this.take(id);
  }

  /** `id` is in the meeting: a later visit waits again. */
  arrived(id: string): void {
    this.allowed.delete(id);
  }

  /** Who waits now, oldest first. */
  get ids(): string[] {
    return [...this.waiting.keys()];
  }

  private take(id: string): Waiter | null {
    const waiter = this.waiting.get(id) ?? null;
    this.waiting.delete(id);
    return waiter;
  }

  private expire(now: number): void {
    for (const [id, waiter] of this.waiting) if (now - waiter.at > WAITER_TTL_MS) this.waiting.delete(id);
  }
}
