// Who is in and who is host, as links come, speak and go: hellos make members, goodbyes and lost links
// unmake them, and a departed host is succeeded by the rule every member computes alike.
import type { AnchorRole } from "./anchor.js";
import type { Farewell } from "./farewell.js";
import type { Keyring } from "./keyring.js";
import type { Lifecycle } from "./lifecycle.js";
import type { Link } from "./link.js";
import type { LinkTable } from "./link-table.js";
import type { Logger } from "./log.js";
import type { MediaRouter } from "./media-router.js";
import type { MeshEvents, ParticipantLeftReason } from "./mesh-types.js";
import type { LinkMessage } from "./protocol.js";
import { Cancelled, type OpQueue } from "./queue.js";
import type { Member, Roster } from "./roster.js";
import type { Emitter } from "mitt";

export interface MembershipDeps {
  selfId: string;
  name: string;
  roster: Roster;
  links: LinkTable;
  anchor: AnchorRole;
  keyring: Keyring;
  farewell: Farewell;
  router: MediaRouter;
  lifecycle: Lifecycle;
  queue: OpQueue;
  events: Emitter<MeshEvents>;
  log: Logger;
}

export class Membership {
  constructor(private readonly deps: MembershipDeps) {}

  /** A link opened: say who we are (and what we send). */
  greet(link: Link): void {
    link.send({
      v: 1,
      t: "hello",
      name: this.deps.name,
      seq: this.deps.roster.selfSeq,
      hostId: this.deps.roster.hostId,
      anchorToken: this.deps.anchor.tokenToShare,
      key: this.deps.keyring.publicKey,
    });
    this.deps.router.greet(link);
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
        return this.onHello(link, message);
      case "ping":
        return;
      case "media":
        return void this.deps.events.emit("member-media", { id: link.remoteId, mic: message.mic, cam: message.cam });
      case "anchor":
        if (link.remoteId === this.deps.roster.hostId) this.deps.anchor.learnToken(message.token);
        return;
      case "rehome":
        return this.rehome();
      case "signal":
        return link.signal(message.data);
      case "app": {
        const member = this.deps.roster.get(link.remoteId);
        if (member) this.deps.events.emit("member-message", { member, payload: message.payload, direct: message.direct });
        return;
      }
      case "bye":
        this.deps.farewell.onBye(link, message);
        return this.removeMember(link.remoteId, "left", message.successor);
      case "end":
        return void this.deps.farewell.onEnd(link, message).catch((error: unknown) => this.deps.log.error("checking an end failed", error));
    }
  }

  private onHello(link: Link, hello: Extract<LinkMessage, { t: "hello" }>): void {
    if (link.ready) return;
    this.deps.links.markReady(link);
    const member: Member = { id: link.remoteId, name: hello.name, seq: hello.seq };
    this.deps.keyring.learn(member.id, hello.key);
    if (hello.anchorToken !== null && member.id === this.deps.roster.hostId) this.deps.anchor.learnToken(hello.anchorToken);
    this.deps.anchor.arrived(member.id, member.seq);
    this.deps.roster.add(member);
    // A member who names another host than ours: the host changed while we were not looking (e.g. it
    // left before our link to it was up). The anchor settles who is right.
    if (hello.hostId !== null && hello.hostId !== this.deps.roster.hostId && !this.deps.anchor.holding) this.rehome();
    this.deps.events.emit("member-joined", member);
  }

  onLinkClosed(link: Link, current: boolean): void {
    this.deps.farewell.settle(link);
    if (!current) return;
    this.deps.links.retry(link, this.deps.roster.hostId);
    if (this.deps.lifecycle.active) this.removeMember(link.remoteId, link.violation ? "protocol-violation" : "connection-lost", null);
    this.checkAlone();
  }

  private removeMember(id: string, reason: ParticipantLeftReason, successor: string | null): void {
    if (reason === "left") this.deps.links.forget(id);
    const member = this.deps.roster.remove(id);
    if (member) this.deps.events.emit("member-left", { member, reason });
    // Also when the host's link never got as far as hello: a newcomer must not keep a departed host.
    if (id === this.deps.roster.hostId && id !== this.deps.selfId) this.elect(successor);
    else this.checkAlone();
  }

  // Nobody left to talk to and we are not host: by the succession rule we are now; the election then
  // finds out whether the meeting goes on elsewhere without us.
  private checkAlone(): void {
    if (this.deps.roster.alone && !this.deps.roster.isHost && this.deps.lifecycle.inMeeting) this.elect();
  }

  /** Everyone computes the same successor: the one the old host named, else the earliest joiner. */
  elect(named: string | null = null): void {
    const next = this.deps.roster.successor(named);
    this.setHost(next);
    if (next !== this.deps.selfId || this.deps.anchor.holding) return;
    const handedOver = named === this.deps.selfId;
    this.deps.queue.run("elect", (signal) => this.deps.anchor.settle(handedOver, signal), true).catch((e: unknown) => this.opFailed("elect", e));
  }

  private rehome(): void {
    this.deps.queue.run("rehome", (signal) => this.deps.anchor.rehome(signal), true).catch((e: unknown) => this.opFailed("rehome", e));
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
