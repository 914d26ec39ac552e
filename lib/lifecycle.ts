// The one lifecycle of a meeting, shared by the Meeting (public state) and its Mesh (what it may still
// do). One transition table, one guarded setter.
import type { Logger } from "./log.js";

/**
 * Where a meeting is in its life. `reconnecting`: joined, but the broker is unreachable (links keep
 * working), or every member's link is healing (we are the one cut off). `leaving`: on its way out (goodbye or end being sent, or a join being cancelled).
 */
export type MeetingState = "idle" | "joining" | "joined" | "reconnecting" | "leaving" | "left";

/** Which state may follow which; anything else is a bug in the library. */
export const TRANSITIONS: Readonly<Record<MeetingState, readonly MeetingState[]>> = {
  idle: ["joining"],
  // idle: a failed join may be retried; left: the meeting ended meanwhile; leaving: leave() cancelled it.
  joining: ["joined", "idle", "left", "leaving"],
  joined: ["reconnecting", "leaving", "left"],
  reconnecting: ["joined", "leaving", "left"],
  leaving: ["left"],
  left: [],
};

export class IllegalTransition extends Error {
  constructor(from: MeetingState, to: MeetingState) {
    super(`illegal meeting state transition ${from} -> ${to}`);
    this.name = "IllegalTransition";
  }
}

export class Lifecycle {
  private current: MeetingState = "idle";
  private readonly listeners = new Set<(state: MeetingState) => void>();

  /** `strict`: an illegal transition throws (tests); otherwise it is logged and refused (production). */
  constructor(
    private readonly log: Logger,
    private readonly strict = false,
  ) {}

  get state(): MeetingState {
    return this.current;
  }

  is(...states: MeetingState[]): boolean {
    return states.includes(this.current);
  }

  /** In the meeting or on the way in: messages from members still matter. */
  get active(): boolean {
    return this.is("joining", "joined", "reconnecting");
  }

  /** In the meeting (join() resolved, not leaving). */
  get inMeeting(): boolean {
    return this.is("joined", "reconnecting");
  }

  /** The one setter. True when the state changed; staying in the same state is not a transition. */
  to(next: MeetingState): boolean {
    if (next === this.current) return false;
    if (!TRANSITIONS[this.current].includes(next)) {
      const error = new IllegalTransition(this.current, next);
      if (this.strict) throw error;
      this.log.error(error.message);
      return false;
    }
    this.log.debug(`state ${this.current} -> ${next}`);
    this.current = next;
    for (const listener of [...this.listeners]) listener(next);
    return true;
  }

  onChange(listener: (state: MeetingState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
