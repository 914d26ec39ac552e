// simple-peer's shipped browser build carries its own events/buffer/process shims, so the
// bundle needs no Node polyfills.
import SimplePeer from "simple-peer/simplepeer.min.js";
import type { CreateTransport, LinkTransport } from "./link.js";
import type { SignalData } from "./protocol.js";

const decoder = new TextDecoder();

/** Creates simple-peer links: one RTCPeerConnection with one reliable, ordered data channel. */
export function simplePeerTransports(iceServers: RTCIceServer[]): CreateTransport {
  return (initiator) => {
    const peer = new SimplePeer({ initiator, trickle: true, config: { iceServers } });
    const transport: LinkTransport = {
      onSignal: null,
      onOpen: null,
      onData: null,
      onClose: null,
      signal(data: SignalData) {
        try {
          peer.signal(data as unknown as SimplePeer.SignalData);
        } catch {
          // A signal simple-peer cannot use (e.g. after destroy) must not reach the app.
        }
      },
      send(text) {
        if (!peer.connected) return false;
        try {
          peer.send(text);
          return true;
        } catch {
          return false;
        }
      },
      async flush(maxWaitMs) {
        const deadline = performance.now() + maxWaitMs;
        while (peer.connected && peer.bufferSize > 0 && performance.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      },
      destroy() {
        peer.destroy();
      },
    };
    peer.on("signal", (data: SimplePeer.SignalData) => transport.onSignal?.(data as unknown as SignalData));
    peer.on("connect", () => transport.onOpen?.());
    peer.on("data", (chunk: string | Uint8Array) =>
      transport.onData?.(typeof chunk === "string" ? chunk : decoder.decode(chunk)),
    );
    peer.on("close", () => transport.onClose?.());
    // simple-peer emits "error" then "close"; without a listener the emitter would throw.
    peer.on("error", () => undefined);
    return transport;
  };
}
