// Where a meeting lives at the broker. Without a password, under the meeting id itself (anyone who
// knows it can find the anchor). With one, under a name derived from meeting id and password, and
// knocks and welcomes carry an HMAC under a key derived the same way: someone who knows only the meeting
// id can neither find, squat nor flood it, nor pass for its anchor.
import { checkMac, deriveRealm, mac } from "./crypto.js";
import { anchorBrokerId, participantBrokerId, participantFromBrokerId } from "./ids.js";

export class Scope {
  private name: string;
  private macKey: CryptoKey | null = null;

  constructor(readonly meetingId: string) {
    this.name = meetingId;
  }

  /** Moves the meeting under `password` (before anything is registered). */
  async usePassword(password: string): Promise<void> {
    const realm = await deriveRealm(this.meetingId, password);
    this.name = realm.scope;
    this.macKey = realm.macKey;
  }

  get protected(): boolean {
    return this.macKey !== null;
  }

  brokerIdOf(participantId: string): string {
    return participantBrokerId(this.name, participantId);
  }

  get anchorId(): string {
    return anchorBrokerId(this.name);
  }

  /** The participant behind a broker id of this meeting, or null. */
  participantOf(brokerId: unknown): string | null {
    return participantFromBrokerId(this.name, brokerId);
  }

  /** An HMAC of `statement` with the password's key; null without a password. */
  async tag(statement: string): Promise<string | null> {
    return this.macKey === null ? null : mac(this.macKey, statement);
  }

  /** True without a password; with one, when `tag` is the password key's HMAC of `statement`. */
  async checkTag(statement: string, tag: string | null): Promise<boolean> {
    if (this.macKey === null) return true;
    return tag !== null && checkMac(this.macKey, statement, tag);
  }
}

/** What a knock's and a welcome's HMAC covers (everything but the HMAC itself). */
export function knockStatement(from: string, nonce: string, key: string): string {
  return JSON.stringify(["meshmeet/knock/1", from, nonce, key]);
}

export function welcomeStatement(to: string, nonce: string, seq: number, sig: string, rosterSig: string): string {
  return JSON.stringify(["meshmeet/welcome/1", to, nonce, seq, sig, rosterSig]);
}

/** What a waiting reply's HMAC covers. */
export function waitingStatement(to: string, nonce: string): string {
  return JSON.stringify(["meshmeet/waiting/1", to, nonce]);
}

/** What a denial's HMAC covers. */
export function deniedStatement(to: string, nonce: string, sig: string, rosterSig: string): string {
  return JSON.stringify(["meshmeet/denied/1", to, nonce, sig, rosterSig]);
}
