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

export function handoverStatement(meetingId: string, from: string, to: string, toKey: string): string {
  return JSON.stringify(["meshmeet/handover/1", meetingId, from, to, toKey]);
}
