// Our own signing identity for one meeting session, and the statements we sign with it. Whose key is
// whose, and whether someone else's signature counts, is the host chain's business (host-chain.ts).
import { admissionStatement, createSigningKey, denialStatement, endStatement, handoverStatement, removalStatement, type SigningKey } from "./crypto.js";
import type { Signer } from "./host-chain.js";

export class Keyring implements Signer {
  private own: SigningKey | null = null;

  constructor(private readonly meetingId: string) {}

  async init(): Promise<void> {
    this.own ??= await createSigningKey();
  }

  /** Our public key, for knocks, hellos and rosters. */
  get publicKey(): string {
    return this.own?.publicKey ?? "";
  }

  async sign(statement: string): Promise<string> {
    if (!this.own) throw new Error("no signing key yet");
    return this.own.sign(statement);
  }

  signEnd(hostId: string, nonce: string, time: number): Promise<string> {
    return this.sign(endStatement(this.meetingId, hostId, nonce, time));
  }

  /** As the host: `target` (roster key `targetKey`) is out of the meeting. */
  signRemoval(hostId: string, target: string, targetKey: string, nonce: string, time: number): Promise<string> {
    return this.sign(removalStatement(this.meetingId, hostId, target, targetKey, nonce, time));
  }

  /** As the host: the knock `nonce` of `id` is denied entry. */
  signDenial(id: string, nonce: string): Promise<string> {
    return this.sign(denialStatement(this.meetingId, id, nonce));
  }

  /** As the host leaving: our word that `to` (with key `toKey`) is the next host. */
  signHandover(from: string, to: string, toKey: string): Promise<string> {
    return this.sign(handoverStatement(this.meetingId, from, to, toKey));
  }

  /** As the host: `id` is admitted with join number `seq` and key `key`. */
  signAdmission(id: string, seq: number, key: string): Promise<string> {
    return this.sign(admissionStatement(this.meetingId, id, seq, key));
  }
}
