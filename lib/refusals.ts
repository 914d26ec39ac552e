// Signed commands (end, remove) that fail their check: each refused one counts once however often it
// is resent or relayed, the app hears of a sender at most every few seconds, and a sender past the
// cut-off (an honest member relays a handful at most) is disconnected as a protocol violation.
import { BoundedSet } from "./bounded-set.js";
import type { Timers } from "./clock.js";
import { MeshError, type MeshErrorCode } from "./errors.js";
import type { Link } from "./link.js";
import type { Logger } from "./log.js";

// Nonces of refused commands remembered per kind; bounded against floods.
const REMEMBERED = 1024;
const REPORT_EVERY_MS = 5000;
const CUT_OFF = 20;

export interface RefusalsDeps {
  timers: Timers;
  log: Logger;
  /** Reported to the app (an `error` event). */
  refused(error: MeshError): void;
}

/** How a kind of command is named in logs and in the error the app gets. */
export interface RefusedKind {
  code: MeshErrorCode;
  /** "an end": logged as "ignored an end from bob: ...". */
  one: string;
  /** "ends": "disconnecting bob: too many refused ends". */
  many: string;
  /** The app's error message names it so: "an end of the meeting". */
  reported: string;
}

export class Refusals {
  private readonly seenKeys = new BoundedSet<string>(REMEMBERED);
  private readonly senders = new Map<string, { count: number; reportedAt: number }>();

  constructor(
    private readonly deps: RefusalsDeps,
    private readonly kind: RefusedKind,
  ) {}

  /** The command `nonce` that came on `link` was refused because `why`. */
  refuse(link: Link, nonce: string, why: string): void {
    const from = link.remoteId;
    const key = `${from}/${nonce}`;
    if (this.seenKeys.has(key)) return;
    this.seenKeys.add(key);
    this.deps.log.warn(`ignored ${this.kind.one} from ${from}: ${why}`);
    const seen = this.senders.get(from) ?? { count: 0, reportedAt: -Infinity };
    seen.count++;
    this.senders.set(from, seen);
    if (seen.count > CUT_OFF) {
      this.deps.log.warn(`disconnecting ${from}: too many refused ${this.kind.many}`);
      return link.close(true);
    }
    const now = this.deps.timers.now();
    if (now - seen.reportedAt < REPORT_EVERY_MS) return;
    seen.reportedAt = now;
    this.deps.refused(new MeshError(this.kind.code, `ignored ${this.kind.reported} from ${from}: ${why}`, { participantId: from }));
  }
}
