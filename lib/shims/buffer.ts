// Stands in for the buffer package (Node's Buffer for browsers, about 20 KB minified) in meshmeet's
// builds. simple-peer's only use is Buffer.from(data) on a binary data-channel message (an
// ArrayBuffer); meshmeet decodes what arrives as a Uint8Array (or takes a string as it is), so a plain
// Uint8Array view over the same bytes is all it needs. Nothing else in the builds imports buffer.

export const Buffer = {
  from(data: ArrayBuffer): Uint8Array {
    return new Uint8Array(data);
  },
};
