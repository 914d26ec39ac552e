// Joining: our own broker registration, then either founding the meeting (we claim the anchor) or
// knocking on it and linking to everyone its welcome lists, all within joinTimeout and cancellable.
import type { AnchorRole, Welcome } from "./anchor.js";
import { brokerUnreachable } from "./anchor.js";
import { ChannelOpenError, type OpenChannel, type SignalChannel } from "./broker.js";
import type { Timers } from "./clock.js";
import { MeshError, insecureContext } from "./errors.js";
import { participantBrokerId, randomId } from "./ids.js";
import type { Keyring } from "./keyring.js";
import type { Lifecycle } from "./lifecycle.js";
import type { LinkTable } from "./link-table.js";
import type { MeshConfig } from "./mesh-types.js";
import { Cancelled, unlessAborted } from "./queue.js";
import type { Roster } from "./roster.js";

export interface JoinDeps {
  config: MeshConfig;
  timers: Timers;
  openChannel: OpenChannel;
  keyring: Keyring;
  anchor: AnchorRole;
  links: LinkTable;
  roster: Roster;
  lifecycle: Lifecycle;
  setHost(id: string): void;
  /** Our own registration is up: from now on the coordinator listens on it. */
  registered(self: SignalChannel): void;
}

// How long a newcomer waits for the anchor to answer a knock before trying to claim it again.
const KNOCK_WAIT_MS = 2000;
const REGISTER_TIMEOUT_MS = 5000;
// Less time than this left in join(): a broker round trip cannot fit, so we ran out of time.
const MIN_ATTEMPT_MS = 100;
// Our own id can stay registered for a moment after we left (the broker has not seen the socket
// close yet); a rejoin retries this long before calling it a duplicate.
const SELF_ID_RETRY_MS = 1500;
const SELF_ID_RETRY_EVERY_MS = 200;
// After the host's link is up, how long join() still waits for the rest of the roster.
const JOIN_GRACE_MS = 3000;

/** One join attempt's steps. Throws MeshError (or Cancelled when `signal` aborts). */
export class JoinFlow {
  constructor(private readonly deps: JoinDeps) {}

  async run(signal: AbortSignal): Promise<void> {
    const deadline = this.deps.timers.now() + this.deps.config.joinTimeout;
    if (!globalThis.crypto?.subtle) throw insecureContext("WebCrypto (crypto.subtle)");
    await this.deps.keyring.init().catch((error: unknown) => {
      throw new MeshError("internal", `could not create a signing key: ${String(error)}`, { cause: error });
    });
    this.check(signal);
    this.deps.registered(await this.registerSelf(deadline, signal));
    for (;;) {
      this.check(signal);
      if (deadline - this.deps.timers.now() < MIN_ATTEMPT_MS) throw this.hostUnreachable();
      // A fresh token: a newcomer must never take over a live meeting's anchor.
      if (await this.claimWithin(deadline, randomId(24))) {
        this.deps.anchor.founded();
        break;
      }
      this.check(signal);
      const welcome = await this.deps.anchor.knock(Math.min(KNOCK_WAIT_MS, deadline - this.deps.timers.now()), signal);
      if (welcome) {
        await this.linkToRoster(welcome, deadline, signal);
        break;
      }
      if (this.deps.timers.now() >= deadline) throw this.hostUnreachable();
    }
  }

  private check(signal: AbortSignal): void {
    if (signal.aborted || !this.deps.lifecycle.is("joining")) throw new Cancelled("join");
  }

  private hostUnreachable(cause?: unknown): MeshError {
    return new MeshError(
      "host-unreachable",
      `the host of meeting ${this.deps.config.meetingId} did not answer within ${this.deps.config.joinTimeout} ms`,
      cause === undefined ? undefined : { cause },
    );
  }

  // Claims the anchor within what is left of join(); a claim that runs into the deadline means we
  // ran out of time (the broker answered our own registration), not that the broker is down.
  private async claimWithin(deadline: number, token: string): Promise<boolean> {
    try {
      return await this.deps.anchor.claim(Math.min(REGISTER_TIMEOUT_MS, deadline - this.deps.timers.now()), token);
    } catch (error) {
      if (this.deps.timers.now() >= deadline - MIN_ATTEMPT_MS) throw this.hostUnreachable(error);
      throw error;
    }
  }

  private async registerSelf(deadline: number, signal: AbortSignal): Promise<SignalChannel> {
    const giveUp = this.deps.timers.now() + SELF_ID_RETRY_MS;
    const brokerId = participantBrokerId(this.deps.config.meetingId, this.deps.config.participantId);
    for (;;) {
      const timeout = Math.min(REGISTER_TIMEOUT_MS, Math.max(1, deadline - this.deps.timers.now()));
      try {
        const channel = await this.deps.openChannel(brokerId, timeout);
        if (signal.aborted) {
          channel.close();
          throw new Cancelled("join");
        }
        return channel;
      } catch (error) {
        if (error instanceof Cancelled) throw error;
        const taken = error instanceof ChannelOpenError && error.kind === "id-taken";
        if (taken && this.deps.timers.now() >= giveUp) {
          throw new MeshError(
            "duplicate-participant",
            `participant ${this.deps.config.participantId} is already in meeting ${this.deps.config.meetingId}`,
          );
        }
        if (!taken) throw brokerUnreachable(error);
        await this.deps.timers.sleep(SELF_ID_RETRY_EVERY_MS);
        this.check(signal);
      }
    }
  }

  private async linkToRoster(welcome: Welcome, deadline: number, signal: AbortSignal): Promise<void> {
    this.deps.roster.selfSeq = welcome.seq;
    this.deps.setHost(welcome.hostId);
    const waits = new Map<string, Promise<void>>();
    for (const member of welcome.members) {
      if (member.id === this.deps.config.participantId) continue;
      const link = this.deps.links.ensure(member.id);
      if (!link.ready) waits.set(member.id, this.deps.links.whenReady(link));
    }
    // Links that fail are dropped by the link timeout (or the broker's EXPIRE), which also ends their
    // waits. Someone in the roster may have left meanwhile, so once the host's link is up the others
    // get a short grace, not the whole link timeout; late ones still join later.
    const left = (): number => deadline - this.deps.timers.now();
    await unlessAborted(this.deps.timers.bound(waits.get(welcome.hostId) ?? Promise.resolve(), left()), signal, undefined);
    await unlessAborted(this.deps.timers.bound(Promise.all(waits.values()), Math.min(JOIN_GRACE_MS, left())), signal, undefined);
  }
}
