// meeting.pubSub, VideoSDK's publish/subscribe: messages on named topics, riding the links like
// meeting.send() (numbered, acknowledged, resent, delivered once and in order per sender). A message
// published with `persist` is kept by everyone (bounded), and the host hands what it kept to each
// newcomer, so that a late joiner's subscribe() returns the topic's history.
import { MeshError } from "./errors.js";
import { randomId } from "./ids.js";
import { MAX_APP_PAYLOAD, MAX_TOPIC, type JsonValue } from "./protocol.js";

/** A message on a topic, as subscribers get it (VideoSDK's shape). */
export interface PubSubMessage {
  /** Unique per message. */
  readonly id: string;
  readonly topic: string;
  readonly message: string;
  /** The optional object published with it; null when none. */
  readonly payload: { [key: string]: JsonValue } | null;
  /** Who published it (participant id and display name). */
  readonly senderId: string;
  readonly senderName: string;
  /** When it was published, by the publisher's clock (ISO 8601). */
  readonly timestamp: string;
}

/** `publish()` options (VideoSDK's). */
export interface PublishOptions {
  /** Keep it for the rest of the meeting: participants who join later get it from subscribe(). */
  persist?: boolean;
  /** Only these participant ids get it (and we do); not persisted. */
  sendOnly?: string[];
}

export type PubSubHandler = (message: PubSubMessage) => void;

/** VideoSDK's `meeting.pubSub`. */
export interface PubSubApi {
  /**
   * Publishes `message` on `topic` to everyone (or `options.sendOnly`), us included: our own subscribers
   * get it too, as in VideoSDK. Rejects with `not-joined`, `invalid-argument`, `payload-too-large` or
   * `unknown-participant`.
   */
  publish(topic: string, message: string, options?: PublishOptions, payload?: { [key: string]: JsonValue }): Promise<void>;
  /**
   * Calls `handler` for each new message on `topic`; resolves with the topic's persisted messages so
   * far (oldest first). Persisted messages the host hands us after this call arrive through `handler`.
   */
  subscribe(topic: string, handler: PubSubHandler): Promise<PubSubMessage[]>;
  unsubscribe(topic: string, handler: PubSubHandler): Promise<void>;
}

export interface PubSubDeps {
  selfId: string;
  selfName: string;
  /** True while we are in the meeting (publish needs it). */
  inMeeting(): boolean;
  has(id: string): boolean;
  hostId(): string | null;
  /** Sends `record` on `topic` to one participant or (null) everyone; returns how many it went to. */
  send(record: JsonValue, to: string | null, chars: number, topic: string): void;
  /** A subscriber's handler threw: rethrown on its own stack, like the meeting's handlers. */
  rethrow(error: unknown): void;
}

// What everyone keeps of persisted messages: the oldest go first beyond either bound.
export const MAX_PERSISTED = 500;
export const MAX_PERSISTED_CHARS = 1024 * 1024;
// Message ids remembered against duplicates (a persisted message can come live and from the host).
const MAX_SEEN = 4096;

// On the wire: the publisher sends `live`; the host relays persisted ones as `kept`, naming the sender.
interface WireRecord {
  id: string;
  message: string;
  payload: { [key: string]: JsonValue } | null;
  ts: number;
  persist: boolean;
  kept: { senderId: string; senderName: string } | null;
}

export class PubSub implements PubSubApi {
  private readonly handlers = new Map<string, Set<PubSubHandler>>();
  private readonly persisted: { message: PubSubMessage; chars: number }[] = [];
  private persistedChars = 0;
  private readonly seen = new Set<string>();

  constructor(private readonly deps: PubSubDeps) {}

  async publish(topic: string, message: string, options: PublishOptions = {}, payload?: { [key: string]: JsonValue }): Promise<void> {
    if (!this.deps.inMeeting()) throw new MeshError("not-joined", "pubSub.publish() needs a joined meeting");
    checkTopic(topic);
    if (typeof message !== "string") throw new MeshError("invalid-argument", "pubSub.publish() takes a string message");
    if (payload !== undefined && (payload === null || typeof payload !== "object" || Array.isArray(payload))) {
      throw new MeshError("invalid-argument", "pubSub.publish()'s payload must be an object");
    }
    const sendOnly = options.sendOnly;
    if (sendOnly !== undefined && (!Array.isArray(sendOnly) || sendOnly.some((id) => typeof id !== "string"))) {
      throw new MeshError("invalid-argument", "sendOnly must be an array of participant ids");
    }
    for (const id of sendOnly ?? []) {
      if (id !== this.deps.selfId && !this.deps.has(id)) throw new MeshError("unknown-participant", `no participant ${JSON.stringify(id)} in this meeting`);
    }
    const record: WireRecord = {
      id: randomId(16),
      message,
      payload: payload ?? null,
      ts: Date.now(),
      persist: options.persist === true && sendOnly === undefined,
      kept: null,
    };
    let encoded: string;
    try {
      encoded = JSON.stringify(record);
    } catch (error) {
      throw new MeshError("invalid-argument", "pubSub.publish()'s payload must be JSON", { cause: error });
    }
    if (encoded.length > MAX_APP_PAYLOAD) {
      throw new MeshError("payload-too-large", `message and payload are ${encoded.length} characters of JSON; the limit is ${MAX_APP_PAYLOAD}`);
    }
    const wire = toJson(record);
    if (sendOnly === undefined) this.deps.send(wire, null, encoded.length, topic);
    else for (const id of new Set(sendOnly)) if (id !== this.deps.selfId) this.deps.send(wire, id, encoded.length, topic);
    this.take(topic, record, this.deps.selfId, this.deps.selfName, encoded.length);
  }

  async subscribe(topic: string, handler: PubSubHandler): Promise<PubSubMessage[]> {
    checkTopic(topic);
    if (typeof handler !== "function") throw new MeshError("invalid-argument", "pubSub.subscribe() needs a handler function");
    let set = this.handlers.get(topic);
    if (!set) this.handlers.set(topic, (set = new Set()));
    set.add(handler);
    return this.history(topic);
  }

  async unsubscribe(topic: string, handler: PubSubHandler): Promise<void> {
    const set = this.handlers.get(topic);
    set?.delete(handler);
    if (set?.size === 0) this.handlers.delete(topic);
  }

  /** Persisted messages of `topic` so far, oldest first. */
  history(topic: string): PubSubMessage[] {
    return this.persisted.filter((p) => p.message.topic === topic).map((p) => p.message);
  }

  /**
   * A pubSub message from `senderId` (the link's, so who sent it is not its word). Anything malformed is
   * dropped; relayed (kept) messages count only from the host.
   */
  received(topic: string, payload: JsonValue, senderId: string, senderName: string, chars: number): void {
    const record = parseRecord(payload);
    if (record === null) return;
    if (record.kept !== null) {
      if (senderId !== this.deps.hostId()) return;
      this.take(topic, record, record.kept.senderId, record.kept.senderName, chars);
    } else {
      this.take(topic, record, senderId, senderName, chars);
    }
  }

  /** As host: hands a newcomer every persisted message, oldest first. */
  handTo(id: string): void {
    for (const { message, chars } of this.persisted) {
      const record: WireRecord = {
        id: message.id,
        message: message.message,
        payload: message.payload,
        ts: Date.parse(message.timestamp),
        persist: true,
        kept: { senderId: message.senderId, senderName: message.senderName },
      };
      this.deps.send(toJson(record), id, chars, message.topic);
    }
  }

  private take(topic: string, record: WireRecord, senderId: string, senderName: string, chars: number): void {
    if (this.seen.has(record.id)) return;
    this.remember(record.id);
    const message: PubSubMessage = {
      id: record.id,
      topic,
      message: record.message,
      payload: record.payload,
      senderId,
      senderName,
      timestamp: new Date(record.ts).toISOString(),
    };
    if (record.persist) this.keep(message, chars);
    for (const handler of [...(this.handlers.get(topic) ?? [])]) {
      try {
        handler(message);
      } catch (error) {
        this.deps.rethrow(error);
      }
    }
  }

  private keep(message: PubSubMessage, chars: number): void {
    this.persisted.push({ message, chars });
    this.persistedChars += chars;
    while (this.persisted.length > MAX_PERSISTED || this.persistedChars > MAX_PERSISTED_CHARS) {
      this.persistedChars -= this.persisted.shift()!.chars;
    }
  }

  private remember(id: string): void {
    this.seen.add(id);
    if (this.seen.size > MAX_SEEN) this.seen.delete(this.seen.values().next().value!);
  }
}

function toJson(r: WireRecord): JsonValue {
  const kept = r.kept === null ? null : { senderId: r.kept.senderId, senderName: r.kept.senderName };
  return { id: r.id, message: r.message, payload: r.payload, ts: r.ts, persist: r.persist, kept };
}

function checkTopic(topic: unknown): asserts topic is string {
  if (typeof topic !== "string" || topic.length === 0 || topic.length > MAX_TOPIC) {
    throw new MeshError("invalid-argument", `a pubSub topic is a string of 1 to ${MAX_TOPIC} characters`);
  }
}

const ID = /^[A-Za-z0-9_-]{1,64}$/;

// A peer's record, checked field by field: whatever else it is, it is dropped.
function parseRecord(value: JsonValue): WireRecord | null {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return null;
  const { id, message, payload, ts, persist, kept } = value;
  if (typeof id !== "string" || !ID.test(id) || typeof message !== "string") return null;
  if (!(payload === null || (typeof payload === "object" && !Array.isArray(payload)))) return null;
  if (typeof ts !== "number" || !Number.isFinite(ts) || Number.isNaN(new Date(ts).getTime()) || typeof persist !== "boolean") return null;
  let from: WireRecord["kept"] = null;
  if (kept !== null) {
    if (typeof kept !== "object" || Array.isArray(kept) || kept === undefined) return null;
    const { senderId, senderName } = kept;
    if (typeof senderId !== "string" || senderId.length === 0 || senderId.length > 64 || typeof senderName !== "string" || senderName.length > 256) return null;
    from = { senderId, senderName };
  }
  return { id, message, payload, ts, persist, kept: from };
}
