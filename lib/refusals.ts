// Signed commands (end, remove) that fail their check: each refused one counts once however often it
// is resent or relayed, the app hears of a sender at most every few seconds, and a sender past the
// cut-off (an honest member relays a handful at most) is disconnected as a protocol violation.
import { BoundedSet } from "./bounded-set.js";

// Nonces of refused commands remembered per kind; bounded against floods.
const REMEMBERED = 1024;
const REPORT_EVERY_MS = 5000;
const CUT_OFF = 20;

export type RefusalVerdict = "repeat" | "quiet" | "report" | "disconnect";

export class Refusals {
  private readonly seenKeys = new BoundedSet<string>(REMEMBERED);
  private readonly senders = new Map<string, { count: number; reportedAt: number }>();

  /** A command `nonce` from `from` was refused at `now`: what to do about it. */
  refuse(from: string, nonce: string, now: number): RefusalVerdict {
    const key = `${from}/${nonce}`;
    if (this.seenKeys.has(key)) return "repeat";
    this.seenKeys.add(key);
    const seen = this.senders.get(from) ?? { count: 0, reportedAt: -Infinity };
    seen.count++;
    this.senders.set(from, seen);
    if (seen.count > CUT_OFF) return "disconnect";
    if (now - seen.reportedAt < REPORT_EVERY_MS) return "quiet";
    seen.reportedAt = now;
    return "report";
  }
}
