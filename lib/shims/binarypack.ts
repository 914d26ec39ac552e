// Stands in for peerjs-js-binarypack in meshmeet's builds (9 KB minified). PeerJS uses it only for its
// own DataConnection serialization; meshmeet never opens a PeerJS DataConnection (its links are
// simple-peer's), so nothing calls these. Should that change, the call fails loudly, not silently.

function unused(): never {
  throw new Error("meshmeet: PeerJS's binary serialization is not part of this build");
}

export const pack = (_data: unknown): never => unused();
export const unpack = (_data: unknown): never => unused();
