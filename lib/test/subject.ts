// The library modules that import `peerjs` (broker.ts, and through it mesh.ts and meeting.ts),
// gathered in one entry point that load-subject.ts bundles at test time. See load-subject.ts for why.
export { ChannelOpenError } from "../broker.js";
export { MeshError, isMeshError } from "../errors.js";
export { Mesh } from "../mesh.js";
export { Meeting } from "../meeting.js";
