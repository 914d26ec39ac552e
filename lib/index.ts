/**
 * meshmeet: small-group browser meetings over a WebRTC full mesh, with a stock PeerJS broker as the
 * only server. The API follows VideoSDK's JavaScript SDK.
 *
 * @packageDocumentation
 */
export { initMeeting, Meeting } from "./meeting.js";
export type {
  ConnectionState,
  JsonValue,
  MeetingConfig,
  MeetingEvents,
  MeetingLeftReason,
  MeetingState,
  Participant,
  ParticipantLeftReason,
} from "./meeting.js";
export type { BrokerOptions } from "./broker.js";
export type { EntryRequest, EventHandler } from "./meeting-events.js";
export type { EntryDecision } from "./mesh-types.js";
export type { Logger, LogLevel } from "./log.js";
export type { ConnectionQuality } from "./call-stats.js";
export type { PublishOptions, PubSubApi, PubSubHandler, PubSubMessage } from "./pubsub.js";
export type { ParticipantEvents, ParticipantMedia, Stream, StreamKind } from "./media.js";
export { MeshError, isMeshError } from "./errors.js";
export type { MeshErrorCode } from "./errors.js";
