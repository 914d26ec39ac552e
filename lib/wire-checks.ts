// Field checks for the wire parsers (protocol.ts): each says what a valid field looks like, never throws.

export type Obj = { readonly [key: string]: unknown };

export function isObj(value: unknown): value is Obj {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
export function isStr(value: unknown, max: number): value is string {
  return typeof value === "string" && value.length <= max;
}
// Broker tokens travel in the broker's URL: letters and digits only.
export function isToken(value: unknown): value is string {
  return typeof value === "string" && /^[A-Za-z0-9]{8,128}$/.test(value);
}
// Public keys and signatures, base64url (see crypto.ts); the crypto checks the rest.
export function isKey(value: unknown): value is string {
  return typeof value === "string" && /^[A-Za-z0-9_-]{87}$/.test(value);
}
export function isSig(value: unknown): value is string {
  return typeof value === "string" && /^[A-Za-z0-9_-]{86}$/.test(value);
}
// Request nonces: letters and digits, long enough not to be guessed.
export function isNonce(value: unknown): value is string {
  return typeof value === "string" && /^[A-Za-z0-9]{8,64}$/.test(value);
}
export function isMac(value: unknown): value is string {
  return typeof value === "string" && /^[A-Za-z0-9_-]{43}$/.test(value);
}
export function isSeq(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}
// `__proto__` as an own key is harmless to us, but an app that merges a payload into an object
// would inherit from it; such keys never leave parse().
export const dropProtoKeys = (key: string, value: unknown): unknown => (key === "__proto__" ? undefined : value);

// Absent or null: null; present: parsed, or undefined when malformed.
export function nullable<T>(value: unknown, parse: (value: unknown) => T | null): T | null | undefined {
  if (value === undefined || value === null) return null;
  return parse(value) ?? undefined;
}
