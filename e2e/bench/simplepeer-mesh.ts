// Baseline page: a full mesh of raw simple-peer links. simple-peer needs a signaling channel of your
// own; this one relays signals through the same PeerJS broker meshmeet uses (peer.socket, as meshmeet
// does), so both sides of the comparison have the same broker round trips.
import { Peer } from "peerjs";
import SimplePeer from "simple-peer/simplepeer.min.js";
import { fullMeshAt, now, type BaselinePage, type LinkEvent } from "./baseline-api.js";

const events: LinkEvent[] = [];
let others: string[] = [];
const links = new Map<string, SimplePeer.Instance>();

interface Envelope {
  type: string;
  src?: string;
  payload?: { bench?: number; data?: SimplePeer.SignalData };
}

const page: BaselinePage = {
  events,
  start({ self, ids, broker, iceServers }) {
    others = ids.filter((id) => id !== self);
    const peer = new Peer(self, { ...broker, debug: 0, config: { iceServers } });
    const link = (id: string, initiator: boolean): SimplePeer.Instance => {
      const sp = new SimplePeer({ initiator, trickle: true, config: { iceServers } });
      links.set(id, sp);
      sp.on("signal", (data: SimplePeer.SignalData) =>
        peer.socket.send({ type: "ANSWER", dst: id, payload: { bench: 1, data } }),
      );
      sp.on("connect", () => events.push({ type: "open", peer: id, at: now() }));
      sp.on("close", () => events.push({ type: "close", peer: id, at: now() }));
      sp.on("error", (e: Error) => events.push({ type: "error", peer: id, at: now(), detail: e.message }));
      return sp;
    };
    peer.socket.on("message", (m: Envelope) => {
      if (m.type !== "ANSWER" || !m.src || m.payload?.bench !== 1 || !m.payload.data) return;
      (links.get(m.src) ?? link(m.src, false)).signal(m.payload.data);
    });
    peer.on("error", (e) => events.push({ type: "error", peer: self, at: now(), detail: String(e.type) }));
    peer.on("open", () => {
      for (const id of ids.slice(0, ids.indexOf(self))) link(id, true);
    });
  },
  fullAt: () => fullMeshAt(events, others),
};
(window as unknown as { __BENCH__: BaselinePage }).__BENCH__ = page;
