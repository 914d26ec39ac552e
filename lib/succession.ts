// Who is host next. Every participant computes it alone, from the same roster, and gets the same answer:
// no vote, no server.
import type { Seat } from "./admission.js";

/** The earliest joiner (lowest join number) among `seats`, leaving out `except`; ties go to the lower id. */
export function earliest(seats: Iterable<Seat>, except: string | null): string | null {
  let best: Seat | null = null;
  for (const seat of seats) {
    if (seat.id === except) continue;
    if (best === null || seat.seq < best.seq || (seat.seq === best.seq && seat.id < best.id)) best = seat;
  }
  return best?.id ?? null;
}
