// The host's side of letting newcomers in: join numbers, a rate limit per knocker, and the newcomers
// admitted but not linked yet (so that later newcomers link to them too).

// A member's knock that is dropped makes it think the host is dead (see Mesh.settleHost), so lenient.
const KNOCK_MIN_GAP_MS = 100;
// Newcomers in flight at once; each costs a join number and a roster entry.
const MAX_PENDING = 64;
// Knockers whose last knock time is remembered (for the rate limit); the oldest are forgotten.
const MAX_KNOCKERS = 1024;

/** Someone in the meeting, as a welcome lists them: id and join number. */
export interface Seat {
  id: string;
  seq: number;
}

export class Admission {
  // The next join number to hand out; the lowest number succeeds the host.
  private next = 1;
  private readonly pending = new Map<string, { seq: number; until: number }>();
  private readonly lastKnock = new Map<string, number>();

  /** Numbers start after `highest` (a founding host: 0; a successor: the highest it knows). */
  restartAfter(highest: number): void {
    this.next = highest + 1;
  }

  /**
   * A knock from `from` at `now`: its join number, held for `holdMs` until its hello arrives; null
   * when it knocks too often. With too many newcomers in flight the oldest is forgotten (it can knock
   * again): a flood of knocking ids must not lock real newcomers out.
   */
  admit(from: string, now: number, holdMs: number): number | null {
    if (now - (this.lastKnock.get(from) ?? -Infinity) < KNOCK_MIN_GAP_MS) return null;
    this.lastKnock.delete(from);
    this.lastKnock.set(from, now);
    if (this.lastKnock.size > MAX_KNOCKERS) this.lastKnock.delete(this.lastKnock.keys().next().value as string);
    this.pending.delete(from);
    if (this.pending.size >= MAX_PENDING) this.pending.delete(this.pending.keys().next().value as string);
    const seq = this.next++;
    this.pending.set(from, { seq, until: now + holdMs });
    return seq;
  }

  /** Admitted newcomers not yet linked, but `except`. */
  inFlight(except: string): Seat[] {
    const seats: Seat[] = [];
    for (const [id, entry] of this.pending) if (id !== except) seats.push({ id, seq: entry.seq });
    return seats;
  }

  /** `seat` said hello: no longer in flight, and its number is never handed out again. */
  arrived(seat: Seat): void {
    this.pending.delete(seat.id);
    this.next = Math.max(this.next, seat.seq + 1);
  }

  /** Forgets newcomers whose hold ran out (they never linked). */
  expire(now: number): void {
    for (const [id, entry] of this.pending) if (entry.until < now) this.pending.delete(id);
  }
}
