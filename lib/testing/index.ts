/**
 * meshmeet/testing: multi-tab meeting tests in a few lines. A real PeerJS broker, Chromium flags for
 * WebRTC, and a Playwright fixture that gives a test participants of one meeting, each in its own
 * browser context, with events to wait for and real faults to inject. Runs in Node (Playwright Test).
 *
 * @packageDocumentation
 */
export { startBroker } from "./broker.js";
export type { StartBrokerOptions, TestBroker } from "./broker.js";
export { CHROMIUM_ARGS, chromiumOptions } from "./chromium.js";
export { expect, MeshKit, test, waitForFullMesh } from "./fixture.js";
export type { MeshApp, MeshOptions, Participants } from "./fixture.js";
export { createWithGlobalBuild, MeshParticipant, MeshTestError } from "./participant.js";
export type { CallResult, CreateMeeting, JoinInfo, MeetingMethod } from "./participant.js";
export type { InboundRtp, PageSnapshot, RecordedEvent, UdpPair } from "./page-hook.js";
export { MeshNetwork, NetHost } from "./network.js";
export type { HostOptions, LossyPath, MeshNetworkOptions, NatKind, NetFault, NetParticipant, OpenOptions } from "./network.js";
