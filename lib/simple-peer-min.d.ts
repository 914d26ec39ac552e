// The shipped browser build of simple-peer has the same API as its npm entry.
declare module "simple-peer/simplepeer.min.js" {
  import SimplePeer from "simple-peer";
  export default SimplePeer;
}
