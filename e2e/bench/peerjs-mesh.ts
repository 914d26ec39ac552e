// Baseline page: a full mesh of raw PeerJS DataConnections, wired the way the PeerJS docs show it.
// Each tab registers its own id and connects to every id that joined before it.
import { Peer, type DataConnection } from "peerjs";
import { fullMeshAt, now, type BaselinePage, type LinkEvent } from "./baseline-api.js";

const events: LinkEvent[] = [];
let others: string[] = [];

function watch(conn: DataConnection): void {
  conn.on("open", () => events.push({ type: "open", peer: conn.peer, at: now() }));
  conn.on("close", () => events.push({ type: "close", peer: conn.peer, at: now() }));
  conn.on("error", (e) => events.push({ type: "error", peer: conn.peer, at: now(), detail: String(e) }));
}

const page: BaselinePage = {
  events,
  start({ self, ids, broker, iceServers }) {
    others = ids.filter((id) => id !== self);
    const peer = new Peer(self, { ...broker, debug: 0, config: { iceServers } });
    peer.on("connection", watch);
    peer.on("error", (e) => events.push({ type: "error", peer: self, at: now(), detail: String(e.type) }));
    peer.on("open", () => {
      for (const id of ids.slice(0, ids.indexOf(self))) watch(peer.connect(id, { reliable: true }));
    });
  },
  fullAt: () => fullMeshAt(events, others),
};
(window as unknown as { __BENCH__: BaselinePage }).__BENCH__ = page;
