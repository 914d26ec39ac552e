// Runs inside every page of a test context (Playwright addInitScript), before the app's own scripts.
// It must be self-contained: Playwright sends its source text, not a closure.

/** An event as the page recorded it; `at` is wall-clock ms (performance.timeOrigin + now()). */
export interface RecordedEvent {
  type: string;
  at: number;
  payload: unknown;
}

/** What a page looks like from the test side, at one moment. */
export interface PageSnapshot {
  /** How many meetings the page created (the last one is the one observed). */
  meetings: number;
  state: string | null;
  hostId: string | null;
  isHost: boolean;
  localId: string | null;
  participants: { id: string; displayName: string; leftReason: string | null }[];
  /** RTCPeerConnections the page still has open. */
  openPeerConnections: number;
  /** WebSockets the page still has open (the broker registrations). */
  openSockets: number;
  /** WebSockets the page ever opened. */
  sockets: number;
  /** Uncaught errors and unhandled rejections of the page. */
  uncaught: string[];
}

/** The page-side API the kit reaches with page.evaluate(). */
export interface PageHook {
  meetings: unknown[];
  events: RecordedEvent[];
  register(meeting: unknown): void;
  current(): unknown;
  call(method: string, args: unknown[]): Promise<{ ok: boolean; ms: number; code?: string; message?: string }>;
  find(type: string, match: unknown, after: number): RecordedEvent | null;
  /** Records events of `types` too, from the current meeting on (those the hook leaves out by default). */
  record(types: string[]): void;
  snapshot(): PageSnapshot;
  udpPairs(): Promise<UdpPair[]>;
  /** Inbound RTP of every open RTCPeerConnection: which track, how many bytes and frames so far. */
  inboundRtp(): Promise<InboundRtp[]>;
  /** What happened in this page, as lines of text: its recorded events, then its connections' states. */
  report(): string[];
}

/** One open link's selected ICE candidate pair: both ends' address and UDP port. */
export interface UdpPair {
  local: number;
  remote: number;
  localAddress: string;
  remoteAddress: string;
}

/** One received media stream's counters (getStats "inbound-rtp"). */
export interface InboundRtp {
  kind: string;
  /** The id of the receiving MediaStreamTrack (as in `participant.streams`). */
  trackIdentifier: string;
  bytesReceived: number;
  framesDecoded: number;
  /** Video only: the size of the last decoded frame and the decoded frames per second (absent until known). */
  frameWidth?: number;
  frameHeight?: number;
  framesPerSecond?: number;
}

export function installPageHook(): void {
  type AnyMeeting = {
    on(type: string, handler: (payload: unknown) => void): void;
    state: string;
    hostId: string | null;
    isHost: boolean;
    localParticipant: { id: string };
    participants: Map<string, unknown>;
    [method: string]: unknown;
  };
  const w = window as unknown as {
    __MESHMEET_HOOK__?: PageHook;
    RTCPeerConnection: typeof RTCPeerConnection;
    WebSocket: typeof WebSocket;
  };
  if (w.__MESHMEET_HOOK__) return;
  const EVENTS = [
    "meeting-joined", "meeting-left", "participant-joined", "participant-left", "participant-reconnecting",
    "participant-reconnected", "host-changed",
    "meeting-state-changed", "message", "error", "stream-enabled", "stream-disabled",
    "presenter-changed",
    // Not speaker-changed or connection-quality-changed: listening to them makes a page measure its
    // links every second, which no test should pay for unless it asks (record()).
  ];
  const uncaught: string[] = [];
  addEventListener("error", (e) => uncaught.push(String(e.message)));
  addEventListener("unhandledrejection", (e) => {
    const reason = e.reason as { stack?: string } | undefined;
    uncaught.push(String(reason?.stack ?? e.reason));
  });
  // Every RTCPeerConnection and WebSocket of the page, to check that leaving closes them all.
  const pcs: RTCPeerConnection[] = [];
  const sockets: WebSocket[] = [];
  // A constructor that makes what `Native` makes, noting each instance in `made`.
  function tracked<T extends object, A extends unknown[]>(Native: new (...args: A) => T, made: T[]): new (...args: A) => T {
    const Tracked = function (this: unknown, ...args: A) {
      const instance = new Native(...args);
      made.push(instance);
      return instance;
    } as unknown as new (...args: A) => T;
    Tracked.prototype = Native.prototype;
    // Statics too (RTCPeerConnection.generateCertificate, WebSocket.OPEN, ...).
    Object.setPrototypeOf(Tracked, Native);
    return Tracked;
  }
  w.RTCPeerConnection = tracked(w.RTCPeerConnection, pcs) as typeof RTCPeerConnection;
  w.WebSocket = tracked(w.WebSocket, sockets) as typeof WebSocket;

  // Payloads cross to the test as plain JSON: participants and errors by their fields.
  const plain = (value: unknown): unknown => {
    if (value instanceof Error) {
      const e = value as Error & { code?: string; participantId?: string };
      return { code: e.code, message: e.message, participantId: e.participantId };
    }
    if (value && typeof value === "object") {
      const o = value as Record<string, unknown>;
      if ("displayName" in o) return { id: o["id"], displayName: o["displayName"], leftReason: o["leftReason"] };
      if ("participant" in o && "stream" in o) {
        const stream = o["stream"] as { id: string; kind: string };
        return { participant: plain(o["participant"]), stream: { id: stream.id, kind: stream.kind } };
      }
      if ("participant" in o) return { ...o, participant: plain(o["participant"]) };
    }
    return value;
  };
  const matches = (value: unknown, match: unknown): boolean => {
    if (match === undefined) return true;
    if (match === null || typeof match !== "object") return value === match;
    if (value === null || typeof value !== "object") return false;
    return Object.keys(match).every((k) =>
      matches((value as Record<string, unknown>)[k], (match as Record<string, unknown>)[k]),
    );
  };
  const now = (): number => performance.timeOrigin + performance.now();

  const recordOn = (meeting: unknown, types: readonly string[]): void => {
    for (const type of types) (meeting as AnyMeeting).on(type, (payload) => hook.events.push({ type, at: now(), payload: plain(payload) }));
  };
  const hook: PageHook = {
    meetings: [],
    events: [],
    register(meeting) {
      hook.meetings.push(meeting);
      recordOn(meeting, EVENTS);
    },
    record(types) {
      const meeting = hook.current();
      if (!meeting) throw new Error("the page has created no meeting");
      recordOn(meeting, types);
    },
    current() {
      return hook.meetings[hook.meetings.length - 1] ?? null;
    },
    async call(method, args) {
      const started = performance.now();
      try {
        const meeting = hook.current() as AnyMeeting | null;
        if (!meeting) throw new Error("the page has created no meeting");
        await (meeting[method] as (...a: unknown[]) => unknown).apply(meeting, args);
        return { ok: true, ms: performance.now() - started };
      } catch (error) {
        const e = error as { code?: string; message?: string };
        return { ok: false, ms: performance.now() - started, code: e.code, message: e.message };
      }
    },
    find(type, match, after) {
      return hook.events.find((e) => e.type === type && e.at >= after && matches(e.payload, match)) ?? null;
    },
    snapshot() {
      const m = hook.current() as AnyMeeting | null;
      return {
        meetings: hook.meetings.length,
        state: m ? m.state : null,
        hostId: m ? m.hostId : null,
        isHost: m ? m.isHost : false,
        localId: m ? m.localParticipant.id : null,
        participants: m
          ? ([...m.participants.values()].map(plain) as PageSnapshot["participants"]).sort((a, b) => (a.id < b.id ? -1 : 1))
          : [],
        openPeerConnections: pcs.filter((pc) => pc.signalingState !== "closed").length,
        openSockets: sockets.filter((ws) => ws.readyState !== 3).length,
        sockets: sockets.length,
        uncaught: [...uncaught],
      };
    },
    report() {
      const lines = hook.events.map((e) => {
        const payload = JSON.stringify(e.payload) ?? "";
        return `${new Date(e.at).toISOString().slice(11, 23)} ${e.type} ${payload.length > 160 ? `${payload.slice(0, 160)}...` : payload}`;
      });
      for (const pc of pcs) lines.push(`RTCPeerConnection ${pc.connectionState}, ICE ${pc.iceConnectionState}, signaling ${pc.signalingState}`);
      return lines;
    },
    async udpPairs() {
      const pairs: UdpPair[] = [];
      for (const pc of pcs) {
        if (pc.signalingState === "closed") continue;
        const stats = await pc.getStats();
        const byId = new Map<string, Record<string, unknown>>();
        stats.forEach((s: Record<string, unknown>) => byId.set(s["id"] as string, s));
        stats.forEach((s: Record<string, unknown>) => {
          if (s["type"] !== "transport" || !s["selectedCandidatePairId"]) return;
          const pair = byId.get(s["selectedCandidatePairId"] as string);
          const local = pair && byId.get(pair["localCandidateId"] as string);
          const remote = pair && byId.get(pair["remoteCandidateId"] as string);
          if (!local || !remote) return;
          const address = (c: Record<string, unknown>): string => String(c["address"] ?? c["ip"] ?? "");
          pairs.push({ local: local["port"] as number, remote: remote["port"] as number, localAddress: address(local), remoteAddress: address(remote) });
        });
      }
      return pairs;
    },
    async inboundRtp() {
      const found: InboundRtp[] = [];
      for (const pc of pcs) {
        if (pc.signalingState === "closed") continue;
        const stats = await pc.getStats();
        stats.forEach((s: Record<string, unknown>) => {
          if (s["type"] !== "inbound-rtp") return;
          found.push({
            kind: String(s["kind"]),
            trackIdentifier: String(s["trackIdentifier"]),
            bytesReceived: Number(s["bytesReceived"] ?? 0),
            framesDecoded: Number(s["framesDecoded"] ?? 0),
            ...(typeof s["frameHeight"] === "number" ? { frameWidth: Number(s["frameWidth"]), frameHeight: s["frameHeight"] } : {}),
            ...(typeof s["framesPerSecond"] === "number" ? { framesPerSecond: s["framesPerSecond"] } : {}),
          });
        });
      }
      return found;
    },
  };
  w.__MESHMEET_HOOK__ = hook;
}
