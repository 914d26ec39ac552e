// Signatures for what must be checkable by everyone, even when relayed: the host's terminate and a
// host handover. ECDSA P-256 over WebCrypto; private keys are created non-extractable and never leave
// the page. Public keys travel as base64url of the raw uncompressed point (65 bytes, 87 characters).

const ALGORITHM = { name: "ECDSA", namedCurve: "P-256" } as const;
const SIGN = { name: "ECDSA", hash: "SHA-256" } as const;
const encoder = new TextEncoder();

/** Length of an encoded public key. */
export const PUBLIC_KEY_LENGTH = 87;
/** Length of an encoded signature (64 raw bytes). */
export const SIGNATURE_LENGTH = 86;

function toBase64Url(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(text: string): Uint8Array<ArrayBuffer> | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return null;
  try {
    const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  } catch {
    return null;
  }
}

/** Our signing identity for one meeting session. */
export interface SigningKey {
  /** Encoded public key, for others. */
  readonly publicKey: string;
  sign(statement: string): Promise<string>;
}

export async function createSigningKey(): Promise<SigningKey> {
  const pair = await crypto.subtle.generateKey(ALGORITHM, false, ["sign", "verify"]);
  const raw = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  return {
    publicKey: toBase64Url(raw),
    sign: async (statement) =>
      toBase64Url(new Uint8Array(await crypto.subtle.sign(SIGN, pair.privateKey, encoder.encode(statement)))),
  };
}

/** Imports someone's encoded public key; null when it is not a P-256 point. */
export async function importPublicKey(encoded: string): Promise<CryptoKey | null> {
  const raw = encoded.length === PUBLIC_KEY_LENGTH ? fromBase64Url(encoded) : null;
  if (raw === null || raw.length !== 65) return null;
  try {
    return await crypto.subtle.importKey("raw", raw, ALGORITHM, false, ["verify"]);
  } catch {
    return null;
  }
}

/** True when `signature` is `key`'s signature of `statement`; false for anything else, never throws. */
export async function verify(key: CryptoKey, statement: string, signature: string): Promise<boolean> {
  const bytes = signature.length === SIGNATURE_LENGTH ? fromBase64Url(signature) : null;
  if (bytes === null || bytes.length !== 64) return false;
  try {
    return await crypto.subtle.verify(SIGN, key, bytes, encoder.encode(statement));
  } catch {
    return false;
  }
}

// What exactly is signed. Each statement names its purpose, so a signature made for one can never
// pass for another.
export function endStatement(meetingId: string, hostId: string, nonce: string, time: number): string {
  return JSON.stringify(["meshmeet/end/1", meetingId, hostId, nonce, time]);
}

/** The host removes `target` (known by `targetKey`): bound to that member's key, so that a removal
 * from an earlier meeting under the same ids (other keys) never applies. */
export function removalStatement(meetingId: string, hostId: string, target: string, targetKey: string, nonce: string, time: number): string {
  return JSON.stringify(["meshmeet/remove/1", meetingId, hostId, target, targetKey, nonce, time]);
}

/** The host denies the knock `nonce` of `id` entry (waiting room). */
export function denialStatement(meetingId: string, id: string, nonce: string): string {
  return JSON.stringify(["meshmeet/deny/1", meetingId, id, nonce]);
}

export function handoverStatement(meetingId: string, from: string, to: string, toKey: string): string {
  return JSON.stringify(["meshmeet/handover/1", meetingId, from, to, toKey]);
}

export interface RosterEntry {
  id: string;
  seq: number;
  key: string;
}

/** The host's word on who is in the meeting: members (the host among them), join numbers and keys. */
export function rosterStatement(meetingId: string, epoch: number, hostId: string, members: readonly RosterEntry[]): string {
  return JSON.stringify(["meshmeet/roster/1", meetingId, epoch, hostId, members.map((m) => [m.id, m.seq, m.key])]);
}

/** The host admits `id` with join number `seq` and public key `key` (what a newcomer shows the members). */
export function admissionStatement(meetingId: string, id: string, seq: number, key: string): string {
  return JSON.stringify(["meshmeet/admission/1", meetingId, id, seq, key]);
}

const HMAC = { name: "HMAC", hash: "SHA-256" } as const;

/**
 * What a meeting password gives: `scope`, the secret name under which the meeting's broker ids live (so
 * that someone who knows only the meeting id cannot find, squat or flood them), and a key that
 * authenticates knocks and welcomes.
 */
export interface Realm {
  scope: string;
  macKey: CryptoKey;
}

export async function deriveRealm(meetingId: string, password: string): Promise<Realm> {
  const secret = await crypto.subtle.importKey("raw", encoder.encode(password), "HKDF", false, ["deriveBits", "deriveKey"]);
  const hkdf = (info: string) => ({ name: "HKDF", hash: "SHA-256", salt: encoder.encode(`meshmeet/${meetingId}`), info: encoder.encode(info) });
  const bits = new Uint8Array(await crypto.subtle.deriveBits(hkdf("meshmeet/scope/1"), secret, 128));
  const scope = Array.from(bits, (b) => b.toString(16).padStart(2, "0")).join("");
  const macKey = await crypto.subtle.deriveKey(hkdf("meshmeet/mac/1"), secret, { ...HMAC, length: 256 }, false, ["sign", "verify"]);
  return { scope, macKey };
}

/** An HMAC of `statement` under the realm's key (43 base64url characters). */
export async function mac(key: CryptoKey, statement: string): Promise<string> {
  return toBase64Url(new Uint8Array(await crypto.subtle.sign(HMAC, key, encoder.encode(statement))));
}

/** True when `tag` is the realm key's HMAC of `statement`; never throws. */
export async function checkMac(key: CryptoKey, statement: string, tag: string): Promise<boolean> {
  const bytes = tag.length === 43 ? fromBase64Url(tag) : null;
  if (bytes === null || bytes.length !== 32) return false;
  try {
    return await crypto.subtle.verify(HMAC, key, bytes, encoder.encode(statement));
  } catch {
    return false;
  }
}
