// The library modules the unit tests drive, gathered in one place.
export { ChannelOpenError } from "../broker.js";
export { MeshError, isMeshError } from "../errors.js";
export { Mesh } from "../mesh.js";
export { Meeting } from "../meeting.js";
