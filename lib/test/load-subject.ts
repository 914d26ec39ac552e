// The library under test, as the unit tests reach it: the real Mesh, Meeting, ChannelOpenError and
// MeshError. `npm run test:unit` bundles each test with every package inlined, so peerjs's CommonJS
// build loads fine in Node.
import * as library from "./subject.js";

export type Subject = typeof library;
export const subject: Subject = library;
