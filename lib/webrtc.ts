// simple-peer from source: the builds swap its Node dependencies for the stand-ins in lib/shims/.
import SimplePeer from "simple-peer";
import type { CreateTransport, LinkTransport } from "./link.js";
import { silentLogger, type Logger } from "./log.js";
import type { SignalData } from "./protocol.js";
import type { SenderEncoding } from "./video-plan.js";

const decoder = new TextDecoder();

type Kind = "audio" | "video" | "share";

/**
 * Creates simple-peer links: one RTCPeerConnection with one reliable, ordered data channel, and media
 * on the same connection. Media: each kind gets one sender, added with addTrack the first time there is
 * a track (simple-peer renegotiates; once the link is open its signals travel over the link itself,
 * see Mesh.sendSignal). Every later change swaps the sender's track with RTCRtpSender.replaceTrack
 * (null sends nothing): no renegotiation, so toggles are instant and never disturb the data channel or
 * the other kind, and the remote keeps one receiving track per kind. removeTrack + renegotiation would
 * cost a round trip per toggle and end the remote track each time. The screen share is a second video
 * sender in a MediaStream of its own, whose id (with the camera's) the media link message names, so the
 * remote can tell the two video tracks apart.
 */
export function simplePeerTransports(iceServers: RTCIceServer[], log: Logger = silentLogger): CreateTransport {
  return (initiator) => {
    const peer = new SimplePeer({ initiator, trickle: true, config: { iceServers } });
    // The streams our tracks are sent in (their ids travel in the SDP): camera and microphone in one,
    // the screen share in another. Made with the first track of each.
    let outStream: MediaStream | null = null;
    let shareStream: MediaStream | null = null;
    // Per kind: the track the sender was added with (simple-peer's key for it) and the sender itself.
    const senders = new Map<Kind, { key: MediaStreamTrack; stream: MediaStream; sender: RTCRtpSender | null; current: MediaStreamTrack | null }>();
    const encodings = new Encodings(log, () => (peer as unknown as { destroyed?: boolean }).destroyed === true);
    const transport: LinkTransport = {
      onSignal: null,
      onOpen: null,
      onData: null,
      onClose: null,
      signal(data: SignalData) {
        try {
          peer.signal(data as unknown as SimplePeer.SignalData);
        } catch (error) {
          // A signal simple-peer cannot use (e.g. after destroy) must not reach the app.
          log.debug("a link signal could not be used", error);
        }
      },
      send(text) {
        if (!peer.connected) return false;
        try {
          peer.send(text);
          return true;
        } catch (error) {
          log.debug("a link message could not be sent", error);
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
      onTrack: null,
      streamIds() {
        return { cs: outStream?.id ?? null, ss: shareStream?.id ?? null };
      },
      getStats() {
        // simple-peer keeps its RTCPeerConnection private and offers only a legacy callback getStats.
        const pc = (peer as unknown as { _pc?: RTCPeerConnection | null })._pc;
        return pc ? pc.getStats() : Promise.reject(new Error("no connection"));
      },
      setEncoding(kind, encoding) {
        encodings.want(kind, encoding);
      },
      setTrack(kind, track) {
        if ((peer as unknown as { destroyed?: boolean }).destroyed) return;
        const entry = senders.get(kind);
        try {
          if (entry) {
            if (entry.current === track) return;
            entry.current = track;
            // Straight to the sender, so a failure (e.g. the connection closed meanwhile) is caught here;
            // simple-peer's own replaceTrack leaves its promise unhandled.
            if (entry.sender) void entry.sender.replaceTrack(track).catch((error: unknown) => log.debug("replaceTrack failed", error));
            else peer.replaceTrack(entry.key, track as MediaStreamTrack, entry.stream);
          } else if (track) {
            const stream = kind === "share" ? (shareStream ??= new MediaStream()) : (outStream ??= new MediaStream());
            peer.addTrack(track, stream);
            // simple-peer keeps its senders by track and stream; it has no public getter for them.
            const map = (peer as unknown as { _senderMap?: Map<MediaStreamTrack, Map<MediaStream, RTCRtpSender>> })._senderMap;
            const sender = map?.get(track)?.get(stream) ?? null;
            senders.set(kind, { key: track, stream, sender, current: track });
            if (sender) encodings.sender(kind, sender);
          }
        } catch (error) {
          // A link being torn down: its media no longer matters.
          log.debug("setting a track failed", error);
        }
      },
    };
    peer.on("track", (track: MediaStreamTrack, stream: MediaStream | undefined) => transport.onTrack?.(track, stream?.id ?? null));
    peer.on("signal", (data: SimplePeer.SignalData) => transport.onSignal?.(data as unknown as SignalData));
    peer.on("connect", () => transport.onOpen?.());
    peer.on("data", (chunk: string | Uint8Array) =>
      transport.onData?.(typeof chunk === "string" ? chunk : decoder.decode(chunk)),
    );
    peer.on("close", () => transport.onClose?.());
    // simple-peer emits "error" then "close" (which ends the link); without a listener the emitter would throw.
    peer.on("error", (error: Error & { code?: string }) => log.info(`link error (${error.code ?? error.name}): ${error.message}`));
    return transport;
  };
}

// Tries again this often (and this many times) while a sender has no encodings to set yet: Firefox
// lists them only once the first negotiation is done.
const ENCODINGS_RETRY_MS = 500;
const ENCODINGS_TRIES = 20;

/**
 * The encoding each sender of one link should have (see video-plan.ts), applied with setParameters one
 * call at a time per sender (a second call while one runs would fail on its stale transaction).
 */
class Encodings {
  private readonly wanted = new Map<Kind, SenderEncoding>();
  private readonly senders = new Map<Kind, RTCRtpSender>();
  private readonly chains = new Map<Kind, Promise<void>>();
  // Browsers that refuse degradationPreference in setParameters (it is newer than the rest).
  private noDegradation = false;

  constructor(
    private readonly log: Logger,
    private readonly destroyed: () => boolean,
  ) {}

  want(kind: Kind, encoding: SenderEncoding): void {
    this.wanted.set(kind, encoding);
    this.schedule(kind, ENCODINGS_TRIES);
  }

  sender(kind: Kind, sender: RTCRtpSender): void {
    this.senders.set(kind, sender);
    if (this.wanted.has(kind)) this.schedule(kind, ENCODINGS_TRIES);
  }

  private schedule(kind: Kind, tries: number): void {
    const sender = this.senders.get(kind);
    if (!sender) return;
    const next = (this.chains.get(kind) ?? Promise.resolve()).then(() => this.apply(kind, sender, tries));
    this.chains.set(kind, next);
  }

  private async apply(kind: Kind, sender: RTCRtpSender, tries: number): Promise<void> {
    const want = this.wanted.get(kind);
    if (!want || this.destroyed()) return;
    const params = sender.getParameters();
    const first = params.encodings?.[0];
    if (!first) {
      if (tries > 1) setTimeout(() => this.schedule(kind, tries - 1), ENCODINGS_RETRY_MS);
      return;
    }
    first.active = want.active;
    first.priority = want.priority;
    first.networkPriority = want.priority;
    if (kind !== "audio") {
      if (want.maxBitrate !== undefined) first.maxBitrate = want.maxBitrate;
      if (want.scaleResolutionDownBy !== undefined) first.scaleResolutionDownBy = want.scaleResolutionDownBy;
      if (want.maxFramerate !== undefined) first.maxFramerate = want.maxFramerate;
      if (want.degradationPreference && !this.noDegradation) (params as { degradationPreference?: string }).degradationPreference = want.degradationPreference;
    }
    try {
      await sender.setParameters(params);
    } catch (error) {
      if (kind === "audio" || this.noDegradation || !(params as { degradationPreference?: string }).degradationPreference) {
        return this.log.debug(`setting the ${kind} sender's encoding failed`, error);
      }
      this.noDegradation = true;
      return this.apply(kind, sender, tries);
    }
  }
}
