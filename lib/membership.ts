// Who is in and who is host, as links come, speak and go. A hello makes a member only when its key is
// the one the signed roster (or the member's host-signed admission) names; goodbyes and lost links
// unmake members; the host signs a new roster at every change; a departed host is succeeded by the
// rule of the host chain. Everything a signature decides is checked in arrival order, one at a time.
import type { Emitter } from "mitt";
import type { AnchorRole, Welcome } from "./anchor.js";
import type { Timers } from "./clock.js";
import type { Farewell } from "./farewell.js";
import type { HostChain } from "./host-chain.js";
import type { Keyring } from "./keyring.js";
import type { Lifecycle } from "./lifecycle.js";
import type { Link } from "./link.js";
import type { LinkTable } from "./link-table.js";
import type { Logger } from "./log.js";
import type { MediaRouter } from "./media-router.js";
import type { MeshEvents, ParticipantLeftReason } from "./mesh-types.js";
import type { Deliveries } from "./deliveries.js";
import type { Presence } from "./presence.js";
import type { AdmissionProof, HandoverProof, LinkMessage, RosterEntry, SignedRoster } from "./protocol.js";
import { Cancelled, type OpQueue } from "./queue.js";
import type { Removal } from "./removal.js";
import type { Member, Roster } from "./roster.js";

type Hello = Extract<LinkMessage, { t: "hello" }>;

// How long what we relay to a removed member may take to leave before its link is closed.
const REMOVED_FLUSH_MS = 200;
// How long an offer whose admission we cannot check yet waits for a roster that lets us.
const ADMISSION_RECHECK_MS = 1500;

export interface MembershipDeps {
  selfId: string;
  timers: Timers;
  name: string;
  roster: Roster;
  chain: HostChain;
  links: LinkTable;
  anchor: AnchorRole;
  keyring: Keyring;
  farewell: Farewell;
  removal: Removal;
  router: MediaRouter;
  presence: Presence;
  deliveries: Deliveries;
  lifecycle: Lifecycle;
  queue: OpQueue;
  events: Emitter<MeshEvents>;
  log: Logger;
}

export class Membership {
  /** Our admission, from the welcome (null for the founder); shown in hellos and offers until a roster has us. */
  ownAdmission: AdmissionProof | null = null;
  // Members' keys as verified at their hello.
  private readonly keys = new Map<string, string>();
  // Checks that depend on signatures run one at a time, in the order their messages arrived.
  private serial: Promise<void> = Promise.resolve();
  private rosterWork: Promise<void> = Promise.resolve();
  // The member we gave the anchor token to (our heir), while we are host.
  private tokenHolder: string | null = null;
  private tokenSent = false;
  private heirLeft = false;
  // Offers waiting for the next roster (see mayLink()).
  private readonly rosterWaiters = new Set<() => void>();
  // The latest roster of another host that we could not take yet (see consider()).
  private deferred: SignedRoster | null = null;
  // The check of the last goodbye's handover; an election waits for it.
  private handover: Promise<void> = Promise.resolve();

  constructor(private readonly deps: MembershipDeps) {}

  /** A link opened: say who we are (and what we send). */
  greet(link: Link): void {
    link.send({
      v: 1,
      t: "hello",
      name: this.deps.name,
      seq: Math.max(0, this.deps.roster.selfSeq),
      hostId: this.deps.roster.hostId,
      anchorToken: null,
      key: this.deps.keyring.publicKey,
      // Always: the other side may hold an older roster that does not name us yet.
      admission: this.ownAdmission,
      roster: this.deps.chain.roster,
      handover: this.handoverProof(),
    });
    this.deps.router.greet(link);
    if (this.deps.chain.hostId === this.deps.selfId && link.remoteId === this.tokenHolder) void this.shareToken();
  }

  onLinkMessage(link: Link, message: LinkMessage): void {
    if (message.t === "bye-ack" || message.t === "end-ack") return this.deps.farewell.settle(link);
    // Two leaving at once: answer the other's goodbye so neither waits out its bound.
    if (message.t === "bye" && this.deps.lifecycle.is("leaving")) {
      link.send({ v: 1, t: "bye-ack" });
      return;
    }
    // Once we are on our way out, or this link was replaced, nothing else it says matters.
    if (!this.deps.links.isCurrent(link) || !this.deps.lifecycle.active) return;
    switch (message.t) {
      case "hello":
        return this.inOrder(() => this.onHello(link, message));
      case "roster":
        return this.inOrder(() => this.consider(message.roster, message.handover));
      case "ping":
        return;
      case "media":
        return void this.deps.events.emit("member-media", {
          id: link.remoteId,
          mic: message.mic,
          cam: message.cam,
          share: message.share,
          cs: message.cs,
          ss: message.ss,
        });
      case "voice":
        return void this.deps.events.emit("member-voice", { id: link.remoteId, level: message.level });
      case "anchor":
        // Only the host hands its heir the anchor token (checked after the roster that made it host).
        return this.inOrder(async () => {
          if (link.remoteId === this.deps.chain.hostId) this.deps.anchor.learnToken(message.token);
        });
      case "rehome":
        return this.rehome();
      case "signal":
        return link.signal(message.data);
      case "app": {
        const member = this.deps.roster.get(link.remoteId);
        if (member && this.deps.deliveries.accept(member.id, message.n)) {
          this.deps.events.emit("member-message", { member, payload: message.payload, direct: message.direct, topic: message.topic ?? null });
        }
        return;
      }
      case "ack":
        return this.deps.deliveries.acked(link.remoteId, message.n);
      case "bye":
        // Gone at once; only who succeeds a leaving host waits for its handover to be checked.
        this.handover = this.deps.farewell.onBye(link, message);
        return this.removeMember(link.remoteId, "left", message.successor);
      case "end":
        return this.inOrder(() => this.deps.farewell.onEnd(link, message));
      case "remove":
        return this.inOrder(() => this.deps.removal.onRemove(link, message));
    }
  }

  onLinkClosed(link: Link, current: boolean): void {
    this.deps.farewell.settle(link);
    if (!current) return;
    const id = link.remoteId;
    // A member's link that closed without a goodbye is a link to heal, not a departure: the broker
    // tells whether the member is gone (presence.ts). So is one to a member of the signed roster we have
    // not met yet (a newcomer's link to the host that did not come up): its registration decides.
    const member =
      !this.deps.removal.isRemoved(id) && (this.deps.roster.has(id) || (this.deps.chain.entry(id) !== undefined && id !== this.deps.selfId));
    if (member && !link.violation && this.deps.lifecycle.active) {
      this.deps.presence.quiet(id);
      // A working link gone: offer a new one now. An attempt that failed: the next comes from presence, at
      // most about once a second, so that a link refused at hello cannot turn into a loop.
      if (link.ready) this.deps.links.relink(id);
      return;
    }
    this.deps.links.retry(link, this.deps.roster.hostId);
    if (this.deps.lifecycle.active) this.removeMember(id, link.violation ? "protocol-violation" : "connection-lost", null);
    this.checkAlone();
  }

  /** A member's link has been quiet for a while: is it still registered? */
  onLinkDoubt(link: Link): void {
    if (this.deps.roster.has(link.remoteId) && this.deps.lifecycle.active) this.deps.presence.doubt(link.remoteId);
  }

  /** A member's link went silent: it is reconnecting, not gone. */
  onLinkSilent(link: Link): void {
    if (this.deps.roster.has(link.remoteId) && this.deps.lifecycle.active) this.deps.presence.quiet(link.remoteId);
  }

  /** A silent link is heard from again. */
  onLinkHeard(link: Link): void {
    this.deps.presence.heard(link.remoteId);
    this.deps.deliveries.resume(link.remoteId);
  }

  /**
   * A member stayed silent past the reconnect timeout, or the broker says it is gone. Cut off from
   * everyone ourselves (every member silent) and not host, they all go at once: we then find out alone,
   * from the anchor, whether it is we who were cut off, instead of electing ourselves among members we
   * cannot reach and taking the anchor from a live host.
   */
  lost(id: string): void {
    if (!this.deps.lifecycle.active) return;
    const members = [...this.deps.roster.view.keys()];
    // `id`'s episode is over already (it is being dropped); it was silent.
    const cutOff = !this.deps.roster.isHost && this.deps.presence.cutOffFrom(members, id);
    for (const m of cutOff ? members : [id]) {
      this.deps.presence.forget(m);
      this.deps.links.discard(m);
      this.removeMember(m, "connection-lost", null);
    }
  }

  /**
   * Whether an offer from `id` may open a link: a member of the signed roster, or a newcomer a host of
   * our chain admitted. An admission by a new host whose roster has not reached us yet gets one more
   * look when it does (bounded).
   */
  async mayLink(id: string, admission: AdmissionProof | null): Promise<boolean> {
    const chain = this.deps.chain;
    // Removed by the host: not even the roster that still names it (the next one will not) lets it back.
    if (this.deps.removal.isRemoved(id)) return false;
    if (chain.entry(id)) return true;
    // Still joining, with no roster yet: a member's offer (a new link to us, who took over the id of a
    // reloaded tab) is checked once the welcome's roster is here.
    if (admission === null && chain.roster !== null) return false;
    if (admission !== null && (await chain.admits(id, admission))) return true;
    await this.deps.timers.bound(new Promise<void>((resolve) => this.rosterWaiters.add(resolve)), ADMISSION_RECHECK_MS);
    return !!chain.entry(id) || (admission !== null && (await chain.admits(id, admission)));
  }

  /** The host's welcome, as a newcomer takes it (see JoinFlow): our admission, the roster's members. */
  joined(welcome: Welcome): void {
    this.deps.roster.selfSeq = welcome.seq;
    this.ownAdmission = { seq: welcome.seq, key: this.deps.keyring.publicKey, sig: welcome.sig };
    this.setHost(welcome.roster.hostId);
    this.rosterTaken();
  }

  /** We founded a meeting alone and were invited into the real one (AnchorRole): we are its member now. */
  invited(welcome: Welcome): void {
    this.joined(welcome);
    for (const m of welcome.members) if (m.id !== this.deps.selfId) this.deps.links.ensure(m.id);
  }

  /** A live holder of the anchor is the host by our chain: take its roster and link to its members. */
  follow(welcome: Welcome): void {
    this.inOrder(async () => {
      if (!(await this.consider(welcome.roster))) return;
      for (const m of welcome.members) if (m.id !== this.deps.selfId) this.deps.links.ensure(m.id);
      this.deps.links.broadcast({ v: 1, t: "rehome" }, (l) => l.state === "open");
    });
  }

  /** We hold the anchor as host: sign a roster if we have none with us as host yet, and share the token. */
  async claimed(): Promise<void> {
    if (this.deps.chain.hostId !== this.deps.selfId) await this.publish();
    else await this.shareToken();
  }

  /** Founding the meeting: the first roster, us alone, join number 0. */
  async found(): Promise<void> {
    this.deps.roster.selfSeq = 0;
    this.setHost(this.deps.selfId);
    await this.publish();
  }

  /** Everyone computes the same successor: the one the old host handed over to, else the chain's rule. */
  elect(named: string | null = null): void {
    const handedOver = named === this.deps.selfId;
    this.deps.queue
      .run("elect", async (signal) => {
        // What the old host told us before it went (its last roster, the anchor token) counts first.
        await this.serial;
        await this.handover;
        const chain = this.deps.chain;
        const gone = (id: string): boolean => this.gone(id);
        const current = chain.hostId;
        if (current !== null && current !== this.deps.selfId && !gone(current)) {
          this.deps.log.debug(`election: ${current} is still here and host`);
          return this.setHost(current);
        }
        const next = current === this.deps.selfId ? current : (chain.successor(gone) ?? this.deps.selfId);
        this.deps.log.debug(`election: ${next} succeeds ${String(current)}`);
        this.setHost(next);
        if (next !== this.deps.selfId) return;
        // Others must be able to check that we are host before anything else we do as host.
        if (!this.deps.roster.alone && chain.hostId !== this.deps.selfId) await this.publish();
        if (!this.deps.anchor.holding) await this.deps.anchor.settle(handedOver, signal);
      }, true)
      .catch((e: unknown) => this.opFailed("elect", e));
  }

  private async onHello(link: Link, hello: Hello): Promise<void> {
    if (link.ready) return;
    // A newer roster the sender holds may be the one that names it.
    if (hello.roster) await this.consider(hello.roster, hello.handover);
    const seq = await this.identify(link.remoteId, hello);
    if (!this.deps.links.isCurrent(link) || !this.deps.lifecycle.active || link.ready) return;
    if (this.deps.removal.isRemoved(link.remoteId)) {
      this.deps.log.info(`${link.remoteId} was removed from the meeting; its link is closed`);
      return link.close();
    }
    if (seq === null) {
      this.deps.log.warn(`${link.remoteId} said hello with a key no roster or admission of ours names; link closed`);
      return link.close();
    }
    this.deps.links.markReady(link);
    const id = link.remoteId;
    const knownKey = this.keys.get(id);
    if (this.deps.roster.has(id) && knownKey === hello.key) return this.relinked(link);
    // The same id with another key, admitted by the host: a new incarnation (a reload); the old one is gone.
    if (this.deps.roster.has(id)) this.removeMember(id, "connection-lost", null);
    const member: Member = { id, name: hello.name, seq };
    this.keys.set(member.id, hello.key);
    this.deps.anchor.arrived(member.id, seq);
    this.deps.anchor.memberArrived();
    this.deps.roster.add(member);
    if (this.deps.chain.hostId === this.deps.selfId && !this.deps.chain.entry(member.id)) void this.publish();
    // A member who names another host than ours: the host changed while we were not looking. Its
    // roster (in the hello) settles it if it can; the anchor is asked too.
    if (hello.hostId !== null && hello.hostId !== this.deps.roster.hostId && !this.deps.anchor.holding) this.rehome();
    this.deps.events.emit("member-joined", member);
  }

  // A member we knew came back on a new link (or its old one recovered): what it missed goes again.
  private relinked(link: Link): void {
    const id = link.remoteId;
    if (this.deps.presence.isSilent(id)) this.deps.presence.heard(id);
    this.deps.deliveries.resume(id);
    if (this.deps.chain.hostId === this.deps.selfId && link.remoteId === this.tokenHolder) {
      this.tokenSent = false;
      void this.shareToken();
    }
  }

  // The join number `hello`'s sender holds by the signed roster or a host-signed admission; null when
  // its key is not the one they name.
  private async identify(id: string, hello: Hello): Promise<number | null> {
    const entry = this.deps.chain.entry(id);
    if (entry && entry.key === hello.key) return entry.seq;
    const proof = hello.admission;
    if (proof === null || proof.key !== hello.key) return null;
    return (await this.deps.chain.admits(id, proof)) ? proof.seq : null;
  }

  // A roster from a member: taken when the chain accepts it, and then its host is ours. A new host's
  // roster can arrive before we noticed its predecessor go: it waits for the next departure.
  private async consider(roster: SignedRoster, handover: HandoverProof | null = null): Promise<boolean> {
    const verdict = await this.deps.chain.check(roster, (id) => this.gone(id), true, handover);
    if (!verdict.ok) {
      this.deps.log.debug(`roster epoch ${roster.epoch} from ${roster.hostId} not taken: ${verdict.why}`);
      if (roster.hostId !== this.deps.chain.hostId && roster.epoch >= (this.deferred?.epoch ?? 0)) this.deferred = roster;
      return false;
    }
    if (this.deferred && this.deferred.epoch <= roster.epoch) this.deferred = null;
    if (!verdict.same) {
      this.setHost(roster.hostId);
      this.rosterTaken();
    }
    return true;
  }

  /** Resolves once the rosters we are signing are out (a removal then follows the roster naming its target). */
  rosterSent(): Promise<void> {
    return this.rosterWork;
  }

  /** The host removed `id` (a removal verified or signed by us): it is out, its link closed once our relay left. */
  expel(id: string): void {
    const link = this.deps.links.get(id);
    this.deps.links.forget(id);
    if (link) void link.flush(REMOVED_FLUSH_MS).then(() => link.close());
    this.removeMember(id, "removed", null);
  }

  private removeMember(id: string, reason: ParticipantLeftReason, successor: string | null): void {
    if (reason === "left") this.deps.links.forget(id);
    const member = this.deps.roster.remove(id);
    this.deps.log.debug(`${id} is gone (${reason})`);
    // An heir that is alive (left, or removed) knows the anchor token: it must stop working.
    if (id === this.tokenHolder) this.heirLeft = reason === "left" || reason === "removed";
    this.keys.delete(id);
    this.deps.presence.forget(id);
    this.deps.deliveries.forget(id);
    if (member) this.deps.events.emit("member-left", { member, reason });
    const deferred = this.deferred;
    if (deferred) this.inOrder(() => this.consider(deferred));
    // Also when the host's link never got as far as hello: a newcomer must not keep a departed host.
    if (id === this.deps.roster.hostId && id !== this.deps.selfId) return this.elect(successor);
    if (this.deps.chain.hostId === this.deps.selfId && this.deps.chain.entry(id)) void this.publish();
    this.checkAlone();
  }

  // Nobody left to talk to and we are not host: by the succession rule we are now; the election then
  // finds out whether the meeting goes on elsewhere without us.
  private checkAlone(): void {
    if (this.deps.roster.alone && !this.deps.roster.isHost && this.deps.lifecycle.inMeeting) this.elect();
  }

  private gone(id: string): boolean {
    return id !== this.deps.selfId && !this.deps.roster.has(id);
  }

  // As host: sign the roster of who is here now and send it to everyone, then hand our heir the token.
  private publish(): Promise<void> {
    this.rosterWork = this.rosterWork.then(async () => {
      if (!this.deps.lifecycle.active || this.deps.roster.hostId !== this.deps.selfId) return;
      // Alone there is nobody to tell, and a roster of us alone would hide from us, should we be the one
      // cut off, that the others went on with a host of their own (AnchorRole.judge). The heir who left
      // still must not keep a working token.
      if (this.deps.roster.alone && this.deps.chain.hostId === this.deps.selfId) return this.shareToken();
      const members: RosterEntry[] = [{ id: this.deps.selfId, seq: Math.max(0, this.deps.roster.selfSeq), key: this.deps.keyring.publicKey }];
      for (const m of this.deps.roster.view.values()) {
        const key = this.keys.get(m.id);
        if (key) members.push({ id: m.id, seq: m.seq, key });
      }
      const roster = await this.deps.chain.sign(this.deps.keyring, this.deps.selfId, members);
      this.deps.links.broadcast({ v: 1, t: "roster", roster, handover: this.handoverProof() });
      await this.shareToken();
    }).catch((error: unknown) => this.deps.log.error("signing the roster failed", error));
    return this.rosterWork;
  }

  // Our heir (the earliest member) gets the anchor token, so it can take a frozen host's anchor over;
  // when the heir changes, the one who knew the token is no longer trusted with it: a fresh token.
  private async shareToken(): Promise<void> {
    if (!this.deps.anchor.holding) return;
    const heir = this.deps.roster.heir();
    if (heir !== this.tokenHolder) {
      // An heir that said goodbye is alive and keeps the token: replace it. One whose link went silent
      // may be fine, or it may be us who is cut off, and re-registering would then lose the anchor; should
      // it come back as a usurper, we take the anchor back and replace the token then (AnchorRole.settle).
      // Lost to a newcomer in the moment it was free: the election claims it again (and invites it).
      if (this.tokenHolder !== null && this.heirLeft && !(await this.deps.anchor.rotate())) this.elect();
      this.heirLeft = false;
      this.tokenHolder = heir;
      this.tokenSent = false;
    }
    const token = this.deps.anchor.token;
    // The heir's hello can come before our side of its link is open: then the token goes when it opens.
    if (heir === null || token === null || this.tokenSent) return;
    this.tokenSent = this.deps.links.get(heir)?.send({ v: 1, t: "anchor", token }) ?? false;
  }

  // A roster (or our welcome's) was taken: offers waiting to be checked against it get their look.
  private rosterTaken(): void {
    for (const wake of this.rosterWaiters) wake();
    this.rosterWaiters.clear();
  }

  // The handover that made the current host host, if it was handed the role.
  private handoverProof(): HandoverProof | null {
    const host = this.deps.chain.hostId;
    return host === null ? null : this.deps.chain.handoverTo(host);
  }

  private rehome(): void {
    this.deps.queue.run("rehome", (signal) => this.deps.anchor.rehome(signal), true).catch((e: unknown) => this.opFailed("rehome", e));
  }

  private inOrder(work: () => Promise<unknown>): void {
    this.serial = this.serial.then(work).then(
      () => undefined,
      (error: unknown) => this.deps.log.error("handling a member's message failed", error),
    );
  }

  private opFailed(name: string, error: unknown): void {
    if (error instanceof Cancelled) this.deps.log.debug(`${name} cancelled`);
    else this.deps.log.error(`${name} failed`, error);
  }

  setHost(id: string): void {
    // While joining, the host is whatever the welcome said; meeting-joined reports it.
    if (this.deps.roster.setHost(id) && !this.deps.lifecycle.is("joining")) this.deps.events.emit("host-changed", { hostId: id });
  }
}
