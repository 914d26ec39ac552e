// The wire protocol: what travels over a link's data channel (LinkMessage) and what
// travels through the broker (SignalMessage). Every incoming message goes through
// parseLink()/parseSignal(): anything that is not exactly one of these shapes is
// dropped (null), never thrown. Parsed messages are rebuilt field by field, so no
// key of the input (`__proto__` included) reaches the rest of the library.

import { dropProtoKeys, isKey, isMac, isNonce, isObj, isSeq, isSig, isStr, isToken, nullable, type Obj } from "./wire-checks.js";

/** Version of the link protocol; a message with another `v` is dropped. */
export const PROTOCOL_VERSION = 1;
/** Largest app payload accepted by `meeting.send()`, in UTF-16 code units of its JSON. */
export const MAX_APP_PAYLOAD = 16 * 1024;
/** Longest `meeting.pubSub` topic, in UTF-16 code units. */
export const MAX_TOPIC = 128;
/** Longest accepted encoded link message, in UTF-16 code units (an app payload plus its envelope). */
export const MAX_LINK_MESSAGE = MAX_APP_PAYLOAD + 1024;
/** Longest accepted signal payload (SDP offers are a few KB). */
export const MAX_SIGNAL_MESSAGE = 64 * 1024;
const MAX_NAME = 256;
const MAX_TOKEN = 128;
const MAX_MEMBERS = 256;
// A signed roster rides in link messages (17 KiB): 128 members with their keys fit.
const MAX_ROSTER = 128;

/** One member in a signed roster: id, join number, public signing key. */
export interface RosterEntry {
  id: string;
  seq: number;
  key: string;
}

/** The host's signed word on who is in the meeting (see crypto.ts rosterStatement). */
export interface SignedRoster {
  /** Increases with every roster a host signs; a later host continues the count. */
  epoch: number;
  hostId: string;
  /** Everyone, the host included, in join order. */
  members: RosterEntry[];
  sig: string;
}

/** A leaving host's signed word that the roster's host succeeds it (crypto.ts handoverStatement). */
export interface HandoverProof {
  from: string;
  sig: string;
}

/** A newcomer's admission, signed by the host: what it shows members it has not met (crypto.ts admissionStatement). */
export interface AdmissionProof {
  seq: number;
  key: string;
  sig: string;
}

export type LinkMessage =
  /**
   * First message each side sends once the channel opens. The host adds the anchor's broker token,
   * which lets a successor take the anchor over from a host that froze (see README, Reliability).
   */
  | {
      v: 1;
      t: "hello";
      name: string;
      seq: number;
      hostId: string | null;
      anchorToken: string | null;
      /** The sender's public signing key (see crypto.ts); it must be the one its roster entry or admission names. */
      key: string;
      /** The sender's admission, while it is not in a signed roster yet. */
      admission: AdmissionProof | null;
      /** The latest signed roster the sender holds (so that a side that missed one catches up). */
      roster: SignedRoster | null;
      /** When that roster's host was handed the role: the previous host's signed handover. */
      handover: HandoverProof | null;
    }
  /** The host's new signed roster (someone came or went, or the host changed, then with the handover). */
  | { v: 1; t: "roster"; roster: SignedRoster; handover: HandoverProof | null }
  /** The host re-registered the anchor under a new token. */
  | { v: 1; t: "anchor"; token: string }
  /** The anchor changed hands unexpectedly: knock on it and follow whoever answers. */
  | { v: 1; t: "rehome" }
  /** WebRTC renegotiation of this link, carried by the link itself once it is open. */
  | { v: 1; t: "signal"; data: SignalData }
  /** Keeps the link alive; any message counts, this one is sent when nothing else was. */
  | { v: 1; t: "ping" }
  /** The sender leaves; `successor` is named when the sender was the host. */
  | {
      v: 1;
      t: "bye";
      successor: string | null;
      /** A leaving host vouches for its successor's key, so it can be checked even when relayed. */
      successorKey: string | null;
      handoverSig: string | null;
    }
  | { v: 1; t: "bye-ack" }
  /**
   * The host ends the meeting for everyone. Signed by the host over (meeting, host, nonce, time); every
   * receiver checks it and relays it on its other links. Unsigned ones parse (fields null) so that
   * they can be reported, not obeyed.
   */
  | { v: 1; t: "end"; nonce: string; hostId: string | null; time: number | null; sig: string | null }
  | { v: 1; t: "end-ack"; nonce: string }
  /**
   * The host removes `target` (whose roster key is `targetKey`) from the meeting. Signed by the host over
   * (meeting, host, target, target key, nonce, time): every receiver checks it against the roster's host
   * key, relays it on its other links, and obeys it; the target leaves with `removed`. Unsigned ones do
   * not parse (there is nothing to report that a malformed message would not already count).
   */
  | { v: 1; t: "remove"; nonce: string; hostId: string; target: string; targetKey: string; time: number; sig: string }
  /**
   * App data from `meeting.send()`; `direct` when it was sent to this participant only. `n` numbers the
   * sender's app messages to this receiver, so that what is resent after a link heals is delivered once.
   * With `topic`, a `meeting.pubSub` message (payload checked by pubsub.ts), numbered with the rest.
   */
  | { v: 1; t: "app"; n: number; direct: boolean; payload: JsonValue; topic?: string }
  /** The receiver has every app message of ours up to `n` (see deliveries.ts). */
  | { v: 1; t: "ack"; n: number }
  /**
   * What the sender sends now: microphone, camera and screen share on or off (see media.ts). `cs` and
   * `ss` are the ids of the MediaStreams its camera and its share ride in on this link (null before it
   * has sent any), which is how the receiver tells a camera track from a share track: both are video.
   * A sender that predates screen share leaves them out (share off, ids null).
   */
  | { v: 1; t: "media"; mic: boolean; cam: boolean; share: boolean; cs: string | null; ss: string | null }
  /** How loud the sender's own microphone was over the last second (0..1, RMS), for the active speaker. */
  | { v: 1; t: "voice"; level: number };

/** What `meeting.send()` carries: anything JSON can encode. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export type LinkMessageType = LinkMessage["t"];

/** Opaque WebRTC signaling data (offer, answer, ICE candidate, renegotiation). */
export type SignalData = Record<string, unknown>;

export type SignalMessage =
  /**
   * Newcomer -> anchor: let me in, with this key. `nonce` is echoed in the welcome, which answers this
   * knock only. `mac`: with a meeting password, proof that the knocker knows it.
   */
  | { mm: 1; t: "knock"; name: string; nonce: string; key: string; mac: string | null }
  /**
   * Anchor -> newcomer: the signed roster, the newcomer's join number with the host's signature of its
   * admission (`sig`), and whom to link with (the roster plus newcomers in flight). `nonce` is the knock's;
   * `mac`: with a meeting password, proof that the anchor knows it.
   */
  | {
      mm: 1;
      t: "welcome";
      nonce: string;
      hostId: string;
      seq: number;
      sig: string;
      roster: SignedRoster;
      members: { id: string; seq: number }[];
      mac: string | null;
    }
  /**
   * Anchor -> newcomer: the host has a waiting room and has been asked; knock again (the knock keeps the
   * request alive) until a welcome or a denial comes. `mac`: with a meeting password, the anchor's proof.
   */
  | { mm: 1; t: "waiting"; nonce: string; mac: string | null }
  /**
   * Anchor -> newcomer: the host denied entry. `sig` is the host's signature of the denial, checkable
   * against the host key in `roster` (signed by that host), as a welcome's admission is.
   */
  | { mm: 1; t: "denied"; nonce: string; roster: SignedRoster; sig: string; mac: string | null }
  /** Participant -> participant: WebRTC signaling for one link instance; offers carry the sender's admission. */
  | { mm: 1; t: "signal"; link: string; data: SignalData; admission: AdmissionProof | null };

function decode(raw: unknown, max: number): Obj | null {
  if (typeof raw !== "string" || raw.length > max) return null;
  try {
    const value: unknown = JSON.parse(raw, dropProtoKeys);
    return isObj(value) ? value : null;
  } catch {
    return null;
  }
}

export function encodeLink(message: LinkMessage): string {
  return JSON.stringify(message);
}

/** Parses one data-channel message; null for anything malformed. */
export function parseLink(raw: unknown): LinkMessage | null {
  const m = decode(raw, MAX_LINK_MESSAGE);
  if (m === null || m["v"] !== PROTOCOL_VERSION) return null;
  switch (m["t"]) {
    case "hello": {
      const { name, seq, hostId, anchorToken, key } = m;
      if (!isStr(name, MAX_NAME) || !isSeq(seq) || !(hostId === null || isStr(hostId, MAX_TOKEN))) return null;
      if (!(anchorToken === null || isToken(anchorToken)) || !isKey(key)) return null;
      const admission = nullable(m["admission"], parseAdmission);
      const roster = nullable(m["roster"], parseRoster);
      const handover = nullable(m["handover"], parseHandover);
      if (admission === undefined || roster === undefined || handover === undefined) return null;
      return { v: 1, t: "hello", name, seq, hostId, anchorToken, key, admission, roster, handover };
    }
    case "roster": {
      const roster = parseRoster(m["roster"]);
      const handover = nullable(m["handover"], parseHandover);
      return roster === null || handover === undefined ? null : { v: 1, t: "roster", roster, handover };
    }
    case "anchor": {
      const { token } = m;
      return isToken(token) ? { v: 1, t: "anchor", token } : null;
    }
    case "ping":
      return { v: 1, t: "ping" };
    case "rehome":
      return { v: 1, t: "rehome" };
    case "signal": {
      const data = parseSignalData(m["data"]);
      return data === null ? null : { v: 1, t: "signal", data };
    }
    case "bye": {
      const { successor } = m;
      const successorKey = m["successorKey"] ?? null;
      const handoverSig = m["handoverSig"] ?? null;
      if (!(successor === null || isStr(successor, MAX_TOKEN))) return null;
      if (!(successorKey === null || isKey(successorKey)) || !(handoverSig === null || isSig(handoverSig))) return null;
      return { v: 1, t: "bye", successor, successorKey, handoverSig };
    }
    case "bye-ack":
      return { v: 1, t: "bye-ack" };
    case "end": {
      const { nonce } = m;
      const hostId = m["hostId"] ?? null;
      const time = m["time"] ?? null;
      const sig = m["sig"] ?? null;
      if (!isStr(nonce, MAX_TOKEN) || nonce.length === 0) return null;
      if (!(hostId === null || isStr(hostId, MAX_TOKEN)) || !(time === null || isSeq(time))) return null;
      if (!(sig === null || isSig(sig))) return null;
      return { v: 1, t: "end", nonce, hostId, time, sig };
    }
    case "end-ack": {
      const { nonce } = m;
      if (!isStr(nonce, MAX_TOKEN) || nonce.length === 0) return null;
      return { v: 1, t: "end-ack", nonce };
    }
    case "remove": {
      const { nonce, hostId, target, targetKey, time, sig } = m;
      if (!isNonce(nonce) || !isStr(hostId, MAX_TOKEN) || !isStr(target, MAX_TOKEN) || target.length === 0) return null;
      if (!isKey(targetKey) || !isSeq(time) || !isSig(sig)) return null;
      return { v: 1, t: "remove", nonce, hostId, target, targetKey, time, sig };
    }
    case "app": {
      const { direct, n, topic } = m;
      if (typeof direct !== "boolean" || !isSeq(n) || !("payload" in m)) return null;
      // JSON.parse only ever produces JSON values, so the payload is one by construction.
      const payload = m["payload"] as JsonValue;
      if (topic === undefined) return { v: 1, t: "app", n, direct, payload };
      return isStr(topic, MAX_TOPIC) && topic.length > 0 ? { v: 1, t: "app", n, direct, payload, topic } : null;
    }
    case "ack": {
      const { n } = m;
      return isSeq(n) ? { v: 1, t: "ack", n } : null;
    }
    case "voice": {
      const { level } = m;
      return typeof level === "number" && level >= 0 && level <= 1 ? { v: 1, t: "voice", level } : null;
    }
    case "media": {
      const { mic, cam } = m;
      const share = m["share"] ?? false;
      const cs = m["cs"] ?? null;
      const ss = m["ss"] ?? null;
      if (typeof mic !== "boolean" || typeof cam !== "boolean" || typeof share !== "boolean") return null;
      if (!(cs === null || isStr(cs, MAX_TOKEN)) || !(ss === null || isStr(ss, MAX_TOKEN))) return null;
      return { v: 1, t: "media", mic, cam, share, cs, ss };
    }
    default:
      return null;
  }
}

/** A signed roster, rebuilt field by field; null when malformed. */
export function parseRoster(value: unknown): SignedRoster | null {
  if (!isObj(value)) return null;
  const { epoch, hostId, members, sig } = value;
  if (!isSeq(epoch) || !isStr(hostId, MAX_TOKEN) || !isSig(sig) || !Array.isArray(members)) return null;
  if (members.length === 0 || members.length > MAX_ROSTER) return null;
  const clean: RosterEntry[] = [];
  for (const entry of members as unknown[]) {
    if (!isObj(entry) || !isStr(entry["id"], MAX_TOKEN) || !isSeq(entry["seq"]) || !isKey(entry["key"])) return null;
    clean.push({ id: entry["id"], seq: entry["seq"], key: entry["key"] });
  }
  return { epoch, hostId, members: clean, sig };
}

function parseHandover(value: unknown): HandoverProof | null {
  if (!isObj(value)) return null;
  const { from, sig } = value;
  return isStr(from, MAX_TOKEN) && isSig(sig) ? { from, sig } : null;
}

function parseAdmission(value: unknown): AdmissionProof | null {
  if (!isObj(value)) return null;
  const { seq, key, sig } = value;
  return isSeq(seq) && isKey(key) && isSig(sig) ? { seq, key, sig } : null;
}

function parseSignalData(value: unknown): SignalData | null {
  if (!isObj(value)) return null;
  const { type } = value;
  if (type === "offer" || type === "answer") {
    const { sdp } = value;
    return isStr(sdp, MAX_SIGNAL_MESSAGE) ? { type, sdp } : null;
  }
  if (type === "candidate") {
    const c = value["candidate"];
    if (!isObj(c) || !isStr(c["candidate"], 4096)) return null;
    const candidate: Record<string, unknown> = { candidate: c["candidate"] };
    if (c["sdpMid"] === null || isStr(c["sdpMid"], 64)) candidate["sdpMid"] = c["sdpMid"];
    if (c["sdpMLineIndex"] === null || isSeq(c["sdpMLineIndex"])) candidate["sdpMLineIndex"] = c["sdpMLineIndex"];
    if (c["usernameFragment"] === null || isStr(c["usernameFragment"], 256))
      candidate["usernameFragment"] = c["usernameFragment"];
    return { type, candidate };
  }
  if (type === "renegotiate") return { type, renegotiate: true };
  if (type === "transceiverRequest") {
    const r = value["transceiverRequest"];
    if (!isObj(r) || (r["kind"] !== "audio" && r["kind"] !== "video")) return null;
    return { type, transceiverRequest: { kind: r["kind"], init: {} } };
  }
  return null;
}

/**
 * Parses a payload relayed by the broker; null for anything that is not ours or malformed.
 * The broker already JSON-decoded the envelope, so this takes a value, not text.
 */
export function parseSignal(payload: unknown): SignalMessage | null {
  if (!isObj(payload) || payload["mm"] !== 1) return null;
  // Bound the work before looking deeper: the broker relays anything any client sends.
  let size: number;
  try {
    size = JSON.stringify(payload).length;
  } catch {
    return null;
  }
  if (size > MAX_SIGNAL_MESSAGE) return null;
  switch (payload["t"]) {
    case "knock": {
      const { name, nonce, key } = payload;
      const mac = payload["mac"] ?? null;
      if (!isStr(name, MAX_NAME) || !isNonce(nonce) || !isKey(key) || !(mac === null || isMac(mac))) return null;
      return { mm: 1, t: "knock", name, nonce, key, mac };
    }
    case "welcome": {
      const { nonce, hostId, seq, members, sig } = payload;
      const mac = payload["mac"] ?? null;
      const roster = parseRoster(payload["roster"]);
      if (roster === null || !isSig(sig) || !(mac === null || isMac(mac))) return null;
      if (!isNonce(nonce) || !isStr(hostId, MAX_TOKEN) || !isSeq(seq) || !Array.isArray(members) || members.length > MAX_MEMBERS)
        return null;
      const clean: { id: string; seq: number }[] = [];
      for (const entry of members as unknown[]) {
        if (!isObj(entry) || !isStr(entry["id"], MAX_TOKEN) || !isSeq(entry["seq"])) return null;
        clean.push({ id: entry["id"], seq: entry["seq"] });
      }
      return { mm: 1, t: "welcome", nonce, hostId, seq, sig, roster, members: clean, mac };
    }
    case "waiting": {
      const { nonce } = payload;
      const mac = payload["mac"] ?? null;
      if (!isNonce(nonce) || !(mac === null || isMac(mac))) return null;
      return { mm: 1, t: "waiting", nonce, mac };
    }
    case "denied": {
      const { nonce, sig } = payload;
      const mac = payload["mac"] ?? null;
      const roster = parseRoster(payload["roster"]);
      if (roster === null || !isNonce(nonce) || !isSig(sig) || !(mac === null || isMac(mac))) return null;
      return { mm: 1, t: "denied", nonce, roster, sig, mac };
    }
    case "signal": {
      const { link } = payload;
      const data = parseSignalData(payload["data"]);
      const admission = nullable(payload["admission"], parseAdmission);
      if (!isStr(link, MAX_TOKEN) || link.length === 0 || data === null || admission === undefined) return null;
      return { mm: 1, t: "signal", link, data, admission };
    }
    default:
      return null;
  }
}
