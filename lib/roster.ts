// Who is in the meeting as this participant knows it: members with their join numbers, and who is
// host. Pure data and rules; the links and the broker live elsewhere.
import type { Seat } from "./admission.js";
import { earliest } from "./succession.js";

export interface Member {
  readonly id: string;
  readonly name: string;
  /** Join order assigned by the host that admitted this member; the lowest succeeds the host. */
  readonly seq: number;
}

export class Roster {
  /** Our own join number; -1 until a host (or we, founding the meeting) gave us one. */
  selfSeq = -1;
  private host: string | null = null;
  private readonly members = new Map<string, Member>();

  constructor(readonly selfId: string) {}

  get hostId(): string | null {
    return this.host;
  }

  get isHost(): boolean {
    return this.host === this.selfId;
  }

  /** Sets the host; true when it changed. */
  setHost(id: string): boolean {
    if (id === this.host) return false;
    this.host = id;
    return true;
  }

  get(id: string): Member | undefined {
    return this.members.get(id);
  }

  has(id: string): boolean {
    return this.members.has(id);
  }

  get size(): number {
    return this.members.size;
  }

  /** Nobody else is in the meeting with us. */
  get alone(): boolean {
    return this.members.size === 0;
  }

  /** A read-only view, by id. */
  get view(): ReadonlyMap<string, Member> {
    return this.members;
  }

  add(member: Member): void {
    this.members.set(member.id, member);
  }

  /** Takes `id` out; returns the member it was, if any. */
  remove(id: string): Member | undefined {
    const member = this.members.get(id);
    this.members.delete(id);
    return member;
  }

  clear(): void {
    this.members.clear();
  }

  /** Everyone, us included, as seats (id and join number). */
  seats(): Seat[] {
    return [{ id: this.selfId, seq: this.selfSeq }, ...[...this.members.values()].map((m) => ({ id: m.id, seq: m.seq }))];
  }

  /** The highest join number anyone here holds: a new host numbers newcomers after it. */
  highestSeq(): number {
    let max = this.selfSeq;
    for (const member of this.members.values()) max = Math.max(max, member.seq);
    return max;
  }

  /** Whom we name when we leave as host; null when we are not host or nobody else is left. */
  heir(): string | null {
    return this.isHost ? earliest(this.seats(), this.selfId) : null;
  }
}
