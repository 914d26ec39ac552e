/**
 * meshmeet/testing: multi-tab meeting tests in a few lines. A real PeerJS broker, Chromium flags for
 * WebRTC, and a Playwright fixture that gives a test participants of one meeting, each in its own
 * browser context, with events to wait for and real faults to inject. Runs in Node (Playwright Test).
 * Firefox (and Chromium with real background-tab throttling) through puppeteer-core, an optional peer
 * dependency loaded only by `launchPuppeteer`.
 *
 * @packageDocumentation
 */
export { startBroker } from "./broker.js";
export type { StartBrokerOptions, TestBroker } from "./broker.js";
export { CHROMIUM_ARGS, chromiumOptions, UNTHROTTLED_ARGS } from "./chromium.js";
export type { ChromiumLaunchOptions } from "./chromium.js";
export { expect, MeshKit, test } from "./fixture.js";
export type { MeshApp, MeshOptions, Participants } from "./fixture.js";
export { waitForFullMesh } from "./group.js";
export type { SnapshotSource } from "./group.js";
export { createWithGlobalBuild, initMeetingInPage, MeshParticipant, MeshTestError } from "./participant.js";
export type { CallResult, CreateMeeting, JoinInfo, MeetingMethod } from "./participant.js";
export type { InboundRtp, PageSnapshot, RecordedEvent, UdpPair } from "./page-hook.js";
export { FIREFOX_PREFS, firefoxPath, launchPuppeteer } from "./puppeteer.js";
export type { LaunchPuppeteerOptions } from "./puppeteer.js";
export { countTimerTicks, createWithGlobalBuildIn, PuppeteerParticipant } from "./puppeteer-participant.js";
export type { CreatePuppeteerMeeting, TimerTicks } from "./puppeteer-participant.js";
export { MeshNetwork, NetHost } from "./network.js";
export type { HostOptions, LossyPath, MeshNetworkOptions, NatKind, NetFault, NetParticipant, OpenOptions } from "./network.js";
