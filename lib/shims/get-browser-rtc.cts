// Stands in for get-browser-rtc in meshmeet's builds: the package also looks for the moz- and
// webkit-prefixed constructors of browsers from before 2018, which meshmeet does not support.
// simple-peer calls it (null: no WebRTC here) and reads these three constructors.
// CommonJS (.cts): simple-peer calls what require() returns.

interface BrowserRtc {
  RTCPeerConnection: typeof RTCPeerConnection;
  RTCSessionDescription: typeof RTCSessionDescription;
  RTCIceCandidate: typeof RTCIceCandidate;
}

function getBrowserRtc(): BrowserRtc | null {
  if (typeof RTCPeerConnection === "undefined") return null;
  return { RTCPeerConnection, RTCSessionDescription, RTCIceCandidate };
}

export = getBrowserRtc;
