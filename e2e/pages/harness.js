// Page side of the e2e harness: one meeting per page, every event recorded with its time.
(() => {
  const EVENTS = [
    "meeting-joined", "meeting-left", "participant-joined", "participant-left", "host-changed",
    "meeting-state-changed", "message", "error",
  ];
  const plain = (value) => {
    if (value && typeof value === "object" && "code" in value && value instanceof Error) {
      return { code: value.code, message: value.message, participantId: value.participantId };
    }
    if (value && typeof value === "object" && "participant" in value) {
      return { ...value, participant: plain(value.participant) };
    }
    if (value && typeof value === "object" && "displayName" in value) {
      return { id: value.id, displayName: value.displayName, leftReason: value.leftReason };
    }
    return value;
  };
  const harness = {
    meeting: null,
    events: [],
    init(options) {
      const broker = { host: location.hostname, port: Number(location.port), path: "/broker" };
      try {
        harness.meeting = MeshMeet.initMeeting({ broker, iceServers: [], ...options });
      } catch (error) {
        return { ok: false, ...plain(error) };
      }
      for (const type of EVENTS) {
        harness.meeting.on(type, (payload) => harness.events.push({ type, at: performance.timeOrigin + performance.now(), payload: plain(payload) }));
      }
      return { ok: true };
    },
    async call(method, ...args) {
      const started = performance.now();
      try {
        await harness.meeting[method](...args);
        return { ok: true, ms: performance.now() - started };
      } catch (error) {
        return { ok: false, ms: performance.now() - started, ...plain(error) };
      }
    },
    snapshot() {
      const m = harness.meeting;
      return {
        state: m.state,
        hostId: m.hostId,
        isHost: m.isHost,
        localId: m.localParticipant.id,
        participants: [...m.participants.values()].map(plain).sort((a, b) => (a.id < b.id ? -1 : 1)),
        openPeerConnections: __pcs.filter((pc) => pc.signalingState !== "closed").length,
        openSockets: __sockets.filter((ws) => ws.readyState !== WebSocket.CLOSED).length,
        sockets: __sockets.length,
        uncaught: [...__uncaught],
      };
    },
  };
  // Local and remote UDP ports of this page's live WebRTC connections (to cut paths with nftables).
  harness.udpPairs = async () => {
    const pairs = [];
    for (const pc of __pcs) {
      if (pc.signalingState === "closed") continue;
      const stats = await pc.getStats();
      const byId = new Map();
      stats.forEach((s) => byId.set(s.id, s));
      stats.forEach((s) => {
        if (s.type !== "transport" || !s.selectedCandidatePairId) return;
        const pair = byId.get(s.selectedCandidatePairId);
        const local = pair && byId.get(pair.localCandidateId);
        const remote = pair && byId.get(pair.remoteCandidateId);
        if (local && remote) pairs.push({ local: local.port, remote: remote.port });
      });
    }
    return pairs;
  };
  window.harness = harness;
})();

// Deep partial match: every key of `match` equals the same key of `value` (recursively).
window.harness.matches = function matches(value, match) {
  if (match === undefined) return true;
  if (match === null || typeof match !== "object") return value === match;
  if (value === null || typeof value !== "object") return false;
  return Object.keys(match).every((key) => matches(value[key], match[key]));
};
window.harness.find = (type, match, after = 0) =>
  window.harness.events.find((e) => e.type === type && e.at >= after && window.harness.matches(e.payload, match)) ?? null;
