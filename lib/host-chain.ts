// Who is host, from signatures only. The first host's signed roster is the root; each later roster is
// signed by its host, and a new host is accepted only when the previous one named it in a signed
// handover, or when the previous host is gone and it is the earliest live member of the last roster
// (crash succession, which every member computes alike). Nothing else makes a host: not the anchor, not
// a field in a message, not a link. Pure rules over WebCrypto; time and links live elsewhere.
import { admissionStatement, denialStatement, endStatement, handoverStatement, importPublicKey, removalStatement, rosterStatement, verify } from "./crypto.js";
import type { AdmissionProof, HandoverProof, LinkMessage, RosterEntry, SignedRoster } from "./protocol.js";
import { earliest } from "./succession.js";

type End = Extract<LinkMessage, { t: "end" }>;
type Remove = Extract<LinkMessage, { t: "remove" }>;

// A signed terminate older (or further in the future) than this is stale: clocks differ a little,
// replays a lot.
const END_MAX_AGE_MS = 120_000;
// Host keys remembered for admissions (a newcomer admitted by the host before last is still admitted).
const MAX_HOST_KEYS = 16;
// Members' keys remembered from every roster we took (see fromOurMeeting()).
const MAX_KNOWN_MEMBERS = 512;

/** What a roster is to us: the one we hold, a valid successor of it, or refused (and why). */
export type Verdict = { ok: true; same: boolean } | { ok: false; why: string };

/** Signs statements as us (see keyring.ts). */
export interface Signer {
  readonly publicKey: string;
  sign(statement: string): Promise<string>;
}

export class HostChain {
  private current: SignedRoster | null = null;
  private readonly imported = new Map<string, Promise<CryptoKey | null>>();
  private readonly hostKeys: string[] = [];
  // Every host of our chain so far, by id (for recognising the meeting we were cut off from).
  private readonly hosts = new Map<string, string>();
  // Everyone any roster we took named, by id: a cut-off host may have dropped from its own roster the
  // member who went on as host without it.
  private readonly known = new Map<string, string>();
  // Verified handovers: leaving host -> the successor it named, with the proof (to pass it on).
  private readonly handovers = new Map<string, { to: string; proof: HandoverProof }>();

  constructor(private readonly meetingId: string) {}

  /** The latest roster we accepted; null before we have one. */
  get roster(): SignedRoster | null {
    return this.current;
  }

  get hostId(): string | null {
    return this.current?.hostId ?? null;
  }

  /** The roster's entry for `id`. */
  entry(id: string): RosterEntry | undefined {
    return this.current?.members.find((m) => m.id === id);
  }

  /**
   * A newcomer's first roster, from the welcome: a newcomer has nothing older to check it against, so
   * it is taken on first use when it is signed by the host it names and that host signed our admission
   * (`selfId` with `proof`). With a meeting password, the welcome's HMAC has already shown that the
   * anchor knows the password.
   */
  async trust(roster: SignedRoster, selfId: string, proof: AdmissionProof): Promise<Verdict> {
    const host = roster.members.find((m) => m.id === roster.hostId);
    if (!host) return { ok: false, why: "its host is not in it" };
    if (!(await this.signedBy(host.key, rosterStatement(this.meetingId, roster.epoch, roster.hostId, roster.members), roster.sig))) {
      return { ok: false, why: "its roster is not signed by the host it names" };
    }
    if (!(await this.signedBy(host.key, admissionStatement(this.meetingId, selfId, proof.seq, proof.key), proof.sig))) {
      return { ok: false, why: "our admission is not signed by that host" };
    }
    this.accept(roster, host.key);
    return { ok: true, same: false };
  }

  /**
   * Whether `roster` may follow ours: the same roster, or a later one signed by our host or by a host
   * that succeeds it (named in a verified handover, or the earliest member of ours still here when our
   * host is `gone`). Accepts it when `adopt`.
   */
  async check(roster: SignedRoster, gone: (id: string) => boolean, adopt = true, handover: HandoverProof | null = null): Promise<Verdict> {
    const current = this.current;
    if (current === null) return { ok: false, why: "we hold no roster yet" };
    const successorKey = roster.members.find((m) => m.id === roster.hostId)?.key;
    if (handover && successorKey) await this.handover(handover.from, roster.hostId, successorKey, handover.sig);
    if (roster.epoch === current.epoch && roster.sig === current.sig && roster.hostId === current.hostId) return { ok: true, same: true };
    // A new host may not have seen its predecessor's last roster: a host change may tie on the epoch.
    const changesHost = roster.hostId !== current.hostId;
    if (roster.epoch < current.epoch || (roster.epoch === current.epoch && !changesHost)) {
      return { ok: false, why: `it is not newer than ours (epoch ${roster.epoch}, ours ${current.epoch})` };
    }
    const known = current.members.find((m) => m.id === roster.hostId);
    const named = roster.members.find((m) => m.id === roster.hostId);
    if (!known || !named || named.key !== known.key) return { ok: false, why: `${roster.hostId} is not a member of our roster under that key` };
    if (changesHost) {
      const handedOver = this.handovers.get(current.hostId)?.to === roster.hostId;
      const succeeded = gone(current.hostId) && this.successor(gone) === roster.hostId;
      if (!handedOver && !succeeded) return { ok: false, why: `${roster.hostId} does not succeed ${current.hostId}` };
    }
    if (!(await this.signedBy(known.key, rosterStatement(this.meetingId, roster.epoch, roster.hostId, roster.members), roster.sig))) {
      return { ok: false, why: "its signature is not its host's" };
    }
    // Checked against the roster we held when we started: a newer one may have arrived meanwhile.
    if (adopt && this.current === current) this.accept(roster, known.key);
    return { ok: true, same: false };
  }

  /**
   * True when `roster` is signed by a host of our chain under the key we knew it by: the meeting we
   * belong to, as it goes on somewhere (for a participant cut off from everyone; not a succession check).
   */
  async fromOurMeeting(roster: SignedRoster): Promise<boolean> {
    const key = this.hosts.get(roster.hostId) ?? this.known.get(roster.hostId);
    if (key === undefined || roster.members.find((m) => m.id === roster.hostId)?.key !== key) return false;
    return this.signedBy(key, rosterStatement(this.meetingId, roster.epoch, roster.hostId, roster.members), roster.sig);
  }

  /** The earliest member of our roster (the host aside) not `gone`: the crash successor. */
  successor(gone: (id: string) => boolean): string | null {
    const current = this.current;
    return current === null ? null : earliest(current.members.filter((m) => !gone(m.id)), current.hostId);
  }

  /** Signs the next roster as host `hostId` (our own id) with `members` (us among them). */
  async sign(signer: Signer, hostId: string, members: RosterEntry[]): Promise<SignedRoster> {
    const epoch = (this.current?.epoch ?? -1) + 1;
    const sorted = [...members].sort((a, b) => a.seq - b.seq || (a.id < b.id ? -1 : 1));
    const sig = await signer.sign(rosterStatement(this.meetingId, epoch, hostId, sorted));
    const roster: SignedRoster = { epoch, hostId, members: sorted, sig };
    this.accept(roster, signer.publicKey);
    return roster;
  }

  /** A leaving host's signed word for its successor; remembered when it verifies. */
  async handover(from: string, to: string, toKey: string, sig: string): Promise<boolean> {
    const host = this.current?.hostId === from ? this.entry(from) : undefined;
    const successor = this.entry(to);
    if (!host || !successor || successor.key !== toKey) return false;
    if (!(await this.signedBy(host.key, handoverStatement(this.meetingId, from, to, toKey), sig))) return false;
    this.handovers.set(from, { to, proof: { from, sig } });
    return true;
  }

  /** The verified handover that made `hostId` host, to pass on with its rosters. */
  handoverTo(hostId: string): HandoverProof | null {
    for (const entry of this.handovers.values()) if (entry.to === hostId) return entry.proof;
    return null;
  }

  /** True when a host of our chain admitted `id` with this proof. */
  async admits(id: string, proof: AdmissionProof): Promise<boolean> {
    const statement = admissionStatement(this.meetingId, id, proof.seq, proof.key);
    for (const key of [...this.hostKeys].reverse()) if (await this.signedBy(key, statement, proof.sig)) return true;
    return false;
  }

  /** Why `end` is not our host's signed terminate; null when it is. Never throws. */
  async refuseEnd(end: End): Promise<string | null> {
    if (end.hostId === null || end.time === null || end.sig === null) return "it is not signed";
    const hostId = this.hostId;
    if (end.hostId !== hostId) return `it claims ${end.hostId} as host, but the host is ${hostId}`;
    const key = this.entry(end.hostId)?.key;
    if (!key) return "the host's key is unknown here";
    if (!(await this.signedBy(key, endStatement(this.meetingId, end.hostId, end.nonce, end.time), end.sig))) {
      return "its signature is not the host's";
    }
    if (Math.abs(Date.now() - end.time) > END_MAX_AGE_MS) return "it is stale (a replay?)";
    return null;
  }

  /**
   * Why `removal` is not our host's signed removal; null when it is. The same age bound as an end
   * (replays); the nonce is remembered by the caller. Whether it is about the member we know under that
   * id is the caller's question (targetKey): a relay can outrun the roster that names a newcomer. Never throws.
   */
  async refuseRemoval(removal: Remove): Promise<string | null> {
    const hostId = this.hostId;
    if (removal.hostId !== hostId) return `it claims ${removal.hostId} as host, but the host is ${hostId}`;
    if (removal.target === hostId) return "the host cannot be removed";
    const key = this.entry(removal.hostId)?.key;
    if (!key) return "the host's key is unknown here";
    const statement = removalStatement(this.meetingId, removal.hostId, removal.target, removal.targetKey, removal.nonce, removal.time);
    if (!(await this.signedBy(key, statement, removal.sig))) return "its signature is not the host's";
    if (Math.abs(Date.now() - removal.time) > END_MAX_AGE_MS) return "it is stale (a replay?)";
    return null;
  }

  /**
   * A denial at the door (waiting room): true when `roster` is signed by the host it names and that host
   * signed the denial of our knock `nonce`. Like a welcome, taken on first use (a newcomer has no older
   * roster to check against); the roster is not adopted.
   */
  async denies(roster: SignedRoster, selfId: string, nonce: string, sig: string): Promise<boolean> {
    const host = roster.members.find((m) => m.id === roster.hostId);
    if (!host) return false;
    if (!(await this.signedBy(host.key, rosterStatement(this.meetingId, roster.epoch, roster.hostId, roster.members), roster.sig))) return false;
    return this.signedBy(host.key, denialStatement(this.meetingId, selfId, nonce), sig);
  }

  private accept(roster: SignedRoster, hostKey: string): void {
    this.current = roster;
    for (const member of roster.members) {
      this.known.delete(member.id);
      this.known.set(member.id, member.key);
    }
    while (this.known.size > MAX_KNOWN_MEMBERS) this.known.delete(this.known.keys().next().value!);
    this.hosts.set(roster.hostId, hostKey);
    if (!this.hostKeys.includes(hostKey)) this.hostKeys.push(hostKey);
    if (this.hostKeys.length > MAX_HOST_KEYS) this.hostKeys.shift();
  }

  private async signedBy(key: string, statement: string, sig: string): Promise<boolean> {
    let imported = this.imported.get(key);
    if (!imported) {
      imported = importPublicKey(key);
      this.imported.set(key, imported);
    }
    const cryptoKey = await imported;
    return cryptoKey !== null && (await verify(cryptoKey, statement, sig));
  }
}
