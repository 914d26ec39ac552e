// Stands in for randombytes in meshmeet's builds: the real one returns a Buffer (pulling safe-buffer and
// buffer) and reads Node's `global`. simple-peer only calls randombytes(n).toString('hex'), for its peer id
// in debug lines and the initiator's data channel label. CommonJS (.cts): simple-peer calls what
// require() returns.

function randomBytes(size: number): { toString(encoding?: "hex"): string } {
  const bytes = crypto.getRandomValues(new Uint8Array(size));
  return { toString: () => Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("") };
}

export = randomBytes;
