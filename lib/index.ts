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
export {
  Constants,
  checkPermissions,
  createCameraVideoTrack,
  createMicrophoneAudioTrack,
  getCameras,
  getDevices,
  getMicrophones,
  getPlaybackDevices,
  off,
  on,
  requestPermission,
} from "./devices.js";
export type {
  CameraDeviceInfo,
  CameraVideoTrackOptions,
  DeviceInfo,
  MicrophoneAudioTrackOptions,
  MicrophoneDeviceInfo,
  Permission,
  PlaybackDeviceInfo,
  SdkEvents,
} from "./devices.js";
export { createScreenShareVideoTrack } from "./screen-share.js";
export { config } from "./compat.js";
export type { ScreenShareEncoderConfig, ScreenShareVideoTrackOptions } from "./screen-share.js";
export type {
  CameraEncoderConfig,
  FacingMode,
  MaxResolution,
  MicrophoneEncoderConfig,
  NoiseConfig,
  OptimizationMode,
} from "./capture.js";
export { MeshError, isMeshError } from "./errors.js";
export type { MeshErrorCode } from "./errors.js";
