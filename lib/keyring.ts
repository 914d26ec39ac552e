import { createSigningKey, endStatement, handoverStatement, importPublicKey, verify, type SigningKey } from "./crypto.js";
import type { LinkMessage } from "./protocol.js";

// A signed terminate older (or further in the future) than this is stale: clocks differ a little,
// replays a lot.
const END_MAX_AGE_MS = 120_000;

type End = Extract<LinkMessage, { t: "end" }>;

/**
 * Who can prove what in one meeting session: our own signing key, and each member's public key as
 * learned over that member's own link (or vouched for by a leaving host). Decides whether an end of
 * the meeting is the host's.
 */
export class Keyring {
  private own: SigningKey | null = null;
  private readonly keys = new Map<string, { text: string; key: Promise<CryptoKey | null> }>();

  constructor(private readonly meetingId: string) {}

  async init(): Promise<void> {
    this.own ??= await createSigningKey();
  }

  /** Our public key, for our hello. */
  get publicKey(): string {
    return this.own?.publicKey ?? "";
  }

  learn(id: string, text: string): void {
    if (this.keys.get(id)?.text === text) return;
    this.keys.set(id, { text, key: importPublicKey(text) });
  }

  keyOf(id: string): string | null {
    return this.keys.get(id)?.text ?? null;
  }

  async signEnd(hostId: string, nonce: string, time: number): Promise<string | null> {
    return this.own ? this.own.sign(endStatement(this.meetingId, hostId, nonce, time)) : null;
  }

  async signHandover(from: string, to: string): Promise<{ successorKey: string; handoverSig: string } | null> {
    const successorKey = this.keyOf(to);
    if (!this.own || successorKey === null) return null;
    return { successorKey, handoverSig: await this.own.sign(handoverStatement(this.meetingId, from, to, successorKey)) };
  }

  /** A leaving host's word for its successor's key, for those who have no link to the successor yet. */
  async acceptHandover(from: string, to: string, toKey: string, sig: string): Promise<void> {
    const key = await this.keys.get(from)?.key;
    if (!key || this.keys.has(to)) return;
    if (await verify(key, handoverStatement(this.meetingId, from, to, toKey), sig)) this.learn(to, toKey);
  }

  /** Why `end` is not the host's signed terminate; null when it is. Never throws. */
  async refuseEnd(end: End, hostId: string | null): Promise<string | null> {
    if (end.hostId === null || end.time === null || end.sig === null) return "it is not signed";
    if (end.hostId !== hostId) return `it claims ${end.hostId} as host, but the host is ${hostId}`;
    const key = await this.keys.get(end.hostId)?.key;
    if (!key) return "the host's key is unknown here";
    if (!(await verify(key, endStatement(this.meetingId, end.hostId, end.nonce, end.time), end.sig))) {
      return "its signature is not the host's";
    }
    if (Math.abs(Date.now() - end.time) > END_MAX_AGE_MS) return "it is stale (a replay?)";
    return null;
  }
}
