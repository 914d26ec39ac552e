// Joining: our own broker registration, then either founding the meeting (we claim the anchor and sign
// the first roster) or knocking on it, checking the welcome (the roster signed by the host it names, our
// admission signed by that host, the password's HMAC) and linking to everyone it lists, all within
// joinTimeout and cancellable.
import type { AnchorRole, Welcome } from "./anchor.js";
import { ChannelOpenError, REGISTER_TIMEOUT_MS, type OpenChannel, type SignalChannel } from "./broker.js";
import type { Timers } from "./clock.js";
import { MeshError, brokerUnreachable, insecureContext } from "./errors.js";
import type { HostChain } from "./host-chain.js";
import { randomId } from "./ids.js";
import type { Keyring } from "./keyring.js";
import type { Lifecycle } from "./lifecycle.js";
import type { LinkTable } from "./link-table.js";
import type { Logger } from "./log.js";
import type { Membership } from "./membership.js";
import type { EntryDecision, MeshConfig } from "./mesh-types.js";
import { Cancelled, unlessAborted } from "./queue.js";
import { deniedStatement, welcomeStatement, type Scope } from "./scope.js";

export interface JoinDeps {
  config: MeshConfig;
  timers: Timers;
  log: Logger;
  openChannel: OpenChannel;
  keyring: Keyring;
  scope: Scope;
  chain: HostChain;
  anchor: AnchorRole;
  links: LinkTable;
  membership: Membership;
  lifecycle: Lifecycle;
  /** The host of a meeting with a waiting room decided on us. */
  responded(decision: EntryDecision): void;
  /** Our own registration is up: from now on the coordinator listens on it. */
  registered(self: SignalChannel): void;
}

// How long a newcomer waits for the anchor to answer a knock before trying to claim it again.
const KNOCK_WAIT_MS = 2000;
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
  // Welcomes that did not verify: at the deadline, the anchor is squatted rather than silent.
  private forged = 0;

  constructor(private readonly deps: JoinDeps) {}

  async run(signal: AbortSignal): Promise<void> {
    const { timers, keyring, anchor, config } = this.deps;
    let deadline = timers.now() + config.joinTimeout;
    if (!globalThis.crypto?.subtle) throw insecureContext("WebCrypto (crypto.subtle)");
    await keyring.init().catch((error: unknown) => {
      throw new MeshError("internal", `could not create a signing key: ${String(error)}`, { cause: error });
    });
    if (config.password !== undefined) await this.deps.scope.usePassword(config.password);
    this.check(signal);
    const self = await this.registerSelf(deadline, signal);
    this.deps.registered(self);
    // Set once the host says it is deciding on us (a waiting room): join() then waits for the decision up
    // to waitingRoomTimeout instead of joinTimeout.
    let waiting = false;
    const onWaiting = (): void => {
      if (waiting) return;
      waiting = true;
      deadline = Math.max(deadline, timers.now() + config.waitingRoomTimeout);
      this.deps.log.info(`in the host's waiting room; waiting up to ${config.waitingRoomTimeout} ms for its decision`);
    };
    for (;;) {
      this.check(signal);
      if (deadline - timers.now() < MIN_ATTEMPT_MS) throw this.outOfTime(undefined, waiting);
      // A fresh token: a newcomer must never take over a live meeting's anchor. Waiting for the host's
      // decision we never claim it: should the host go meanwhile, its heir takes the anchor over and
      // answers our next knock, and a meeting of our own beside the real one would split it.
      if (!waiting && (await this.claimWithin(deadline, randomId(24)))) {
        anchor.founded();
        await this.deps.membership.found();
        break;
      }
      this.check(signal);
      const reply = await anchor.knockForEntry(Math.min(KNOCK_WAIT_MS, deadline - timers.now()), signal, onWaiting);
      if (reply?.t === "denied") {
        const tagged = await this.deps.scope.checkTag(deniedStatement(self.id, reply.nonce, reply.sig, reply.roster.sig), reply.mac);
        if (tagged && (await this.deps.chain.denies(reply.roster, config.participantId, reply.nonce, reply.sig))) {
          this.deps.responded("denied");
          throw new MeshError("entry-denied", `the host of meeting ${config.meetingId} denied us entry`);
        }
        this.forged++;
        this.deps.log.warn("the anchor's denial was refused: not signed by the host its roster names");
      } else if (reply) {
        const refusal = await this.refuse(reply, self.id);
        if (refusal === null) {
          if (waiting) this.deps.responded("allowed");
          await this.linkToRoster(reply, deadline, signal);
          break;
        }
        this.forged++;
        this.deps.log.warn(`the anchor's welcome was refused: ${refusal}`);
      }
      if (timers.now() >= deadline) throw this.outOfTime(undefined, waiting);
    }
  }

  private check(signal: AbortSignal): void {
    if (signal.aborted || !this.deps.lifecycle.is("joining")) throw new Cancelled("join");
  }

  // Why `welcome` does not come from the meeting's host; null when it does (and its roster is now ours).
  private async refuse(welcome: Welcome, selfBrokerId: string): Promise<string | null> {
    const statement = welcomeStatement(selfBrokerId, welcome.nonce, welcome.seq, welcome.sig, welcome.roster.sig);
    if (!(await this.deps.scope.checkTag(statement, welcome.mac))) return "it does not prove the meeting password";
    const proof = { seq: welcome.seq, key: this.deps.keyring.publicKey, sig: welcome.sig };
    const verdict = await this.deps.chain.trust(welcome.roster, this.deps.config.participantId, proof);
    return verdict.ok ? null : verdict.why;
  }

  private outOfTime(cause?: unknown, waiting = false): MeshError {
    const { meetingId, joinTimeout, waitingRoomTimeout } = this.deps.config;
    if (waiting) {
      return new MeshError("entry-timeout", `the host of meeting ${meetingId} did not decide on our entry within ${waitingRoomTimeout} ms`);
    }
    if (this.forged > 0) {
      return new MeshError(
        "host-unverified",
        `the anchor of meeting ${meetingId} answered ${this.forged} time(s), but never as its host can (unsigned, ` +
          `forged or without the password's proof): someone squats this meeting id${this.deps.scope.protected ? "" : " (a password prevents it)"}`,
      );
    }
    return new MeshError(
      "host-unreachable",
      `the host of meeting ${meetingId} did not answer within ${joinTimeout} ms (a frozen host, or an id held by someone who does not answer)`,
      cause === undefined ? undefined : { cause },
    );
  }

  // Claims the anchor within what is left of join(); a claim that runs into the deadline means we
  // ran out of time (the broker answered our own registration), not that the broker is down.
  private async claimWithin(deadline: number, token: string): Promise<boolean> {
    const { timers, anchor } = this.deps;
    try {
      return await anchor.claim(Math.min(REGISTER_TIMEOUT_MS, deadline - timers.now()), token);
    } catch (error) {
      if (timers.now() >= deadline - MIN_ATTEMPT_MS) throw this.outOfTime(error);
      throw error;
    }
  }

  private async registerSelf(deadline: number, signal: AbortSignal): Promise<SignalChannel> {
    const { timers, config } = this.deps;
    const giveUp = timers.now() + SELF_ID_RETRY_MS;
    const brokerId = this.deps.scope.brokerIdOf(config.participantId);
    for (;;) {
      const timeout = Math.min(REGISTER_TIMEOUT_MS, Math.max(1, deadline - timers.now()));
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
        if (taken && timers.now() >= giveUp) {
          throw new MeshError("duplicate-participant", `participant ${config.participantId} is already in meeting ${config.meetingId}`);
        }
        if (!taken) throw brokerUnreachable(error);
        await timers.sleep(SELF_ID_RETRY_EVERY_MS);
        this.check(signal);
      }
    }
  }

  private async linkToRoster(welcome: Welcome, deadline: number, signal: AbortSignal): Promise<void> {
    const { timers, links, membership, config } = this.deps;
    membership.joined(welcome);
    const waits = new Map<string, Promise<void>>();
    for (const member of welcome.members) {
      if (member.id === config.participantId) continue;
      const link = links.ensure(member.id);
      if (!link.ready) waits.set(member.id, links.whenReady(link));
    }
    // Links that fail are dropped by the link timeout (or the broker's EXPIRE), which also ends their
    // waits. Someone in the roster may have left meanwhile, so once the host's link is up the others
    // get a short grace, not the whole link timeout; late ones still join later.
    const left = (): number => deadline - timers.now();
    const host = welcome.roster.hostId;
    await unlessAborted(timers.bound(waits.get(host) ?? Promise.resolve(), left()), signal, undefined);
    await unlessAborted(timers.bound(Promise.all(waits.values()), Math.min(JOIN_GRACE_MS, left())), signal, undefined);
    this.check(signal);
    // Admitted, but linked to nobody: joining now would make a meeting of one beside the real one.
    const others = welcome.members.filter((m) => m.id !== config.participantId);
    if (others.length > 0 && !others.some((m) => links.get(m.id)?.ready)) {
      throw new MeshError(
        "links-failed",
        `the host of meeting ${config.meetingId} answered, but no direct link to anyone in it came up ` +
          `(tried ${others.length}): this network needs a TURN server in iceServers, or a firewall drops WebRTC`,
      );
    }
  }
}

/** What a join attempt that threw `error` reports (`aborted`: its operation was cancelled). */
export function joinFailure(error: unknown, aborted: boolean, lifecycle: Lifecycle, log: Logger): MeshError {
  if (error instanceof Cancelled || aborted || !lifecycle.is("joining")) {
    return lifecycle.is("leaving")
      ? new MeshError("join-cancelled", "leave() was called before join() completed")
      : new MeshError("meeting-ended", "the meeting ended while we were joining");
  }
  if (error instanceof MeshError) return error;
  log.error("join failed unexpectedly", error);
  return new MeshError("internal", `join failed: ${String(error)}`, { cause: error });
}
