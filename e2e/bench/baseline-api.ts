// What a baseline page (raw PeerJS or raw simple-peer full mesh) exposes to the bench as
// window.__BENCH__. Shared by the page sources and the Node side.

/** One link event in a baseline page; `at` is wall-clock ms (performance.timeOrigin + now()). */
export interface LinkEvent {
  type: "open" | "close" | "error";
  peer: string;
  at: number;
  detail?: string;
}

export interface BaselineStart {
  /** This tab's broker id. */
  self: string;
  /** Every tab's broker id, in joining order; a tab dials those before it, accepts the rest. */
  ids: string[];
  broker: { host: string; port: number; path: string; key: string; secure: boolean };
  iceServers: RTCIceServer[];
}

export interface BaselinePage {
  /** Registers at the broker and dials every earlier id. Resolves when called, not when linked. */
  start(options: BaselineStart): void;
  events: LinkEvent[];
  /** When this tab had an open link to every other id, or null. */
  fullAt(): number | null;
}

export const now = (): number => performance.timeOrigin + performance.now();

/** The time this tab first had an open link to each of `others` at once, or null. */
export function fullMeshAt(events: LinkEvent[], others: string[]): number | null {
  const open = new Set<string>();
  for (const e of events) {
    if (e.type === "open") open.add(e.peer);
    if (e.type === "close") open.delete(e.peer);
    if (others.every((id) => open.has(id))) return e.at;
  }
  return null;
}
