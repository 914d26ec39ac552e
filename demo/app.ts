// meshmeet demo: join a meeting, see who is there and who hosts, chat, leave or end.
// Uses only the public API of the library.
import { initMeeting, isMeshError } from "../lib/index.js";
import type { Meeting, MeetingLeftReason, MeetingState, Participant, ParticipantLeftReason } from "../lib/index.js";
import { Chat, chatText } from "./chat.js";
import { ChatButton } from "./chat-button.js";
import { byId, el, showOnly, withCommands } from "./dom.js";
import { EventLog } from "./event-log.js";
import { describeError, describeMediaErrors, type ErrorLike, type PageContext } from "./messages.js";
import { Notice } from "./notice.js";
import { DevicePicker } from "./device-picker.js";
import { EntryRequests } from "./entry-requests.js";
import { hostLabel, renderRoster } from "./roster.js";
import { Stage } from "./tiles.js";
import {
  brokerOptions,
  inviteLink,
  randomMeetingId,
  readSettings,
  rememberMeetingInUrl,
  type PageSettings,
} from "./settings.js";

// ---------------------------------------------------------------------------------------------
// Page elements

const views = {
  join: byId("join-view"),
  meeting: byId("meeting-view"),
  left: byId("left-view"),
};
const allViews = Object.values(views);

const ui = {
  status: byId("status"),
  statusText: byId("status-text"),
  joinForm: byId<HTMLFormElement>("join-form"),
  meetingIdInput: byId<HTMLInputElement>("meeting-id"),
  nameInput: byId<HTMLInputElement>("display-name"),
  newIdButton: byId<HTMLButtonElement>("new-id"),
  joinButton: byId<HTMLButtonElement>("join"),
  joinCam: byId<HTMLInputElement>("join-cam"),
  joinMic: byId<HTMLInputElement>("join-mic"),
  joinWaitingRoom: byId<HTMLInputElement>("join-waiting-room"),
  toggleMic: byId<HTMLButtonElement>("toggle-mic"),
  toggleCam: byId<HTMLButtonElement>("toggle-cam"),
  toggleShare: byId<HTMLButtonElement>("toggle-share"),
  joinError: byId("join-error"),
  meetingIdLabel: byId("meeting-id-label"),
  copyLink: byId<HTMLButtonElement>("copy-link"),
  selfName: byId("self-name"),
  hostName: byId("host-name"),
  tiles: byId("tiles"),
  participants: byId("participants"),
  participantCount: byId("participant-count"),
  leaveButton: byId<HTMLButtonElement>("leave"),
  endButton: byId<HTMLButtonElement>("end"),
  endWrap: byId("end-wrap"),
  endHint: byId("end-hint"),
  leftTitle: byId("left-title"),
  leftReason: byId("left-reason"),
  leftNext: byId("left-next"),
  leftNextId: byId("left-next-id"),
  rejoinButton: byId<HTMLButtonElement>("rejoin"),
  startOverButton: byId<HTMLButtonElement>("start-over"),
};

const stage = new Stage(byId("tiles"));
const entryRequests = new EntryRequests(byId("entry-requests"), byId("entry-list"));
const devicePicker = new DevicePicker(byId<HTMLSelectElement>("camera-select"), byId<HTMLSelectElement>("mic-select"), (error) =>
  notice.show(humanText(error)),
);
// Chat rides meeting.pubSub on this topic, persisted: whoever joins later gets the conversation so far.
const CHAT_TOPIC = "CHAT";
const log = new EventLog(byId("event-log"), byId("event-log-count"));
const chat = new Chat({
  form: byId<HTMLFormElement>("chat-form"),
  input: byId<HTMLInputElement>("chat-input"),
  button: byId<HTMLButtonElement>("chat-send"),
  messages: byId("chat-messages"),
  error: byId("chat-error"),
  empty: byId("chat-empty"),
});
const chatButton = new ChatButton(
  byId<HTMLButtonElement>("chat-toggle"),
  byId("chat-unread"),
  byId("chat-panel"),
  byId<HTMLInputElement>("chat-input"),
);
const notice = new Notice(byId("meeting-notice"), byId("meeting-notice-text"), byId<HTMLButtonElement>("meeting-notice-close"));

// ---------------------------------------------------------------------------------------------
// State: one Meeting object per join attempt (a Meeting is single-use).

const settings: PageSettings = readSettings();
let meeting: Meeting | null = null;
/** True once the user pressed End, so the left view can say "you ended it" rather than "the host did". */
let endRequested = false;
/** Who hosted when we last drew the meeting; the left view names them when they ended it. */
let lastHostName = "";
/** Media errors of the current moment: a join reports camera and microphone apart, the page says both at once. */
let mediaErrors: ErrorLike[] = [];

// ---------------------------------------------------------------------------------------------
// Wording

const STATE_LABELS: Record<MeetingState, string> = {
  idle: "Not connected",
  joining: "Joining…",
  joined: "Connected",
  reconnecting: "Reconnecting…",
  leaving: "Leaving…",
  left: "Left",
};

const PARTICIPANT_LEFT_WORDS: Record<ParticipantLeftReason, string> = {
  left: "left",
  "connection-lost": "lost connection",
  "protocol-violation": "was disconnected for sending garbage",
  removed: "was removed by the host",
};

function describeLeft(reason: MeetingLeftReason, meetingId: string): { title: string; detail: string } {
  // An ended meeting is gone: joining its id again would found a new, empty one there.
  const over = `Meeting ${meetingId} is over and cannot be joined again.`;
  switch (reason) {
    case "left":
      return { title: "You left the meeting", detail: "The others are still there. You can rejoin at any time." };
    case "ended":
      return endRequested
        ? { title: "You ended the meeting", detail: `Everyone has been disconnected. ${over}` }
        : {
            title: "The host ended the meeting",
            detail: `${lastHostName ? `${lastHostName} ended the meeting for everyone.` : "Everyone has been disconnected."} ${over}`,
          };
    case "removed":
      return { title: "You were removed", detail: "The host removed you from the meeting." };
    case "connection-lost":
      return {
        title: "Connection lost",
        detail: "We lost the connection to everyone in the meeting. Check your network and rejoin.",
      };
  }
}

/** Joined (or joined and waiting for the broker to come back): the calls that need a meeting work. */
function inMeeting(m: Meeting): boolean {
  return m.state === "joined" || m.state === "reconnecting";
}

function errorParts(error: unknown): ErrorLike {
  if (isMeshError(error)) return { code: error.code, message: error.message, cause: error.cause };
  return { code: "unexpected", message: error instanceof Error ? error.message : String(error) };
}

/** The page's host and port: the broker's too, named when it cannot be reached. */
function pageContext(): PageContext {
  return { server: location.host };
}

/** Words for a person: what happened and what to do. The code and raw message go to the event log. */
function humanText(error: unknown): string {
  return describeError(errorParts(error), pageContext());
}

/** Collects the media errors reported together (synchronously, one per device) into one notice. */
function reportMediaError(error: ErrorLike): void {
  mediaErrors.push(error);
  if (mediaErrors.length > 1) return;
  queueMicrotask(() => {
    const batch = mediaErrors;
    mediaErrors = [];
    notice.show(describeMediaErrors(batch), { sticky: true, tone: "error" });
  });
}

// ---------------------------------------------------------------------------------------------
// Rendering

function setStatus(state: MeetingState): void {
  ui.status.dataset.state = state;
  ui.statusText.textContent = STATE_LABELS[state];
}

function showJoinError(error: unknown): void {
  const { code, message } = errorParts(error);
  ui.joinError.dataset.code = code;
  // The raw words stay within reach of a developer who hovers; the event log has them too.
  ui.joinError.title = `${code}: ${message}`;
  ui.joinError.replaceChildren(el("span", { className: "alert-text" }, ...withCommands(humanText(error))));
  ui.joinError.hidden = false;
  ui.joinError.scrollIntoView({ block: "nearest" });
}

function clearJoinError(): void {
  ui.joinError.hidden = true;
  ui.joinError.replaceChildren();
  ui.joinError.removeAttribute("title");
  delete ui.joinError.dataset.code;
}

function setJoining(joining: boolean): void {
  ui.joinButton.disabled = joining;
  ui.joinButton.textContent = joining ? "Joining…" : "Join meeting";
  ui.meetingIdInput.disabled = joining;
  ui.nameInput.disabled = joining;
  ui.joinCam.disabled = joining;
  ui.joinMic.disabled = joining;
  ui.newIdButton.disabled = joining;
  ui.rejoinButton.disabled = joining;
}

/** End is allowed for the host, or for whoever is the last one left. */
function updateEndButton(m: Meeting): void {
  const active = inMeeting(m);
  const allowed = m.isHost || m.participants.size === 0;
  let why: string;
  if (!active) why = "You are not in the meeting.";
  else if (m.isHost) why = "End the meeting for everyone.";
  else if (allowed) why = "You are the last one here: end the meeting.";
  else why = `Only the host (${hostLabel(m)}) can end the meeting for everyone.`;
  ui.endButton.disabled = !active || !allowed;
  ui.endWrap.title = why;
  ui.endButton.title = why;
  ui.endHint.textContent = why;
}

/** The mic and camera buttons show what we send now. */
function updateMediaButtons(m: Meeting): void {
  const active = inMeeting(m);
  const { micOn, webcamOn } = m.localParticipant;
  ui.toggleMic.setAttribute("aria-pressed", String(micOn));
  ui.toggleMic.dataset.on = String(micOn);
  ui.toggleMic.querySelector(".toggle-label")!.textContent = micOn ? "Mute" : "Unmute";
  ui.toggleMic.title = micOn ? "Mute your microphone" : "Unmute your microphone";
  ui.toggleMic.disabled = !active;
  ui.toggleCam.setAttribute("aria-pressed", String(webcamOn));
  ui.toggleCam.dataset.on = String(webcamOn);
  ui.toggleCam.querySelector(".toggle-label")!.textContent = webcamOn ? "Stop video" : "Start video";
  ui.toggleCam.title = webcamOn ? "Turn your camera off" : "Turn your camera on";
  ui.toggleCam.disabled = !active;
  const sharing = m.localParticipant.screenShareOn;
  ui.toggleShare.setAttribute("aria-pressed", String(sharing));
  ui.toggleShare.classList.toggle("sharing", sharing);
  ui.toggleShare.querySelector(".toggle-label")!.textContent = sharing ? "Stop share" : "Share";
  ui.toggleShare.title = sharing ? "Stop sharing your screen" : "Share your screen with everyone";
  // Browsers without screen capture (phones) get no button; while someone else presents, it waits.
  ui.toggleShare.hidden = !navigator.mediaDevices?.getDisplayMedia;
  ui.toggleShare.disabled = !active || (m.activePresenterId !== null && !sharing);
}

function renderMeeting(m: Meeting): void {
  renderRoster(m, ui.participants, ui.participantCount, (error) => notice.show(humanText(error)));
  stage.render(m);
  updateMediaButtons(m);
  const active = inMeeting(m);
  // Once out, the roster is cleared: remember the host's name while it is still known.
  if (active) lastHostName = m.isHost ? "" : hostLabel(m);
  ui.hostName.textContent = hostLabel(m);
  updateEndButton(m);
  ui.leaveButton.disabled = !active;
  chat.setEnabled(active);
}

function enterMeetingView(m: Meeting): void {
  ui.meetingIdLabel.textContent = m.meetingId;
  ui.selfName.textContent = m.localParticipant.displayName;
  rememberMeetingInUrl(m.meetingId);
  renderMeeting(m);
  showOnly(views.meeting, allViews);
  document.body.classList.add("in-call");
  // The Join button sat below the intro on a phone: start the call view at the top, videos in sight.
  window.scrollTo({ top: 0, left: 0, behavior: "instant" });
  document.title = `${m.meetingId} · meshmeet`;
}

function leaveCallView(view: HTMLElement): void {
  document.body.classList.remove("in-call");
  showOnly(view, allViews);
  window.scrollTo({ top: 0, left: 0, behavior: "instant" });
  document.title = "meshmeet demo";
}

function enterLeftView(reason: MeetingLeftReason, meetingId: string): void {
  const { title, detail } = describeLeft(reason, meetingId);
  ui.leftTitle.textContent = title;
  ui.leftReason.textContent = detail;
  ui.leftReason.dataset.reason = reason;
  views.left.dataset.reason = reason;
  // After an end, the way back in is a new meeting with a new id (in the form and the address bar
  // too, so a reload cannot found the old one again); after a leave or a lost connection, the same one.
  const next = reason === "ended" ? randomMeetingId() : meetingId;
  if (reason === "ended") {
    ui.meetingIdInput.value = next;
    rememberMeetingInUrl(next);
  }
  ui.rejoinButton.textContent = reason === "ended" ? "Start a new meeting" : "Join again";
  ui.rejoinButton.dataset.meetingId = next;
  ui.leftNextId.textContent = next;
  ui.leftNext.hidden = reason !== "ended";
  notice.hide();
  leaveCallView(views.left);
  ui.rejoinButton.focus();
}

function enterJoinView(): void {
  leaveCallView(views.join);
  ui.nameInput.focus();
}

// ---------------------------------------------------------------------------------------------
// Meeting events

const nameOf = (p: Participant): string => `${p.displayName} (${p.id})`;

/** Subscribes to a meeting's events; UI updates apply only while it is the current meeting. */
function wireMeeting(m: Meeting): void {
  const isCurrent = (): boolean => m === meeting;

  m.on("meeting-state-changed", ({ state: connection, meetingState: state }) => {
    log.add("meeting-state-changed", `${state} (${connection})`, state === "reconnecting" ? "warn" : "info");
    if (!isCurrent()) return;
    setStatus(state);
    if (!views.meeting.hidden && state !== "left") renderMeeting(m);
  });
  m.on("presenter-changed", (presenterId) => {
    log.add("presenter-changed", presenterId ?? "nobody");
    if (isCurrent() && !views.meeting.hidden) renderMeeting(m);
  });
  m.on("meeting-joined", ({ meetingId, hostId }) => {
    if (isCurrent()) devicePicker.attach(m);
    const host = hostId === m.localParticipant.id ? "you" : hostLabel(m);
    log.add("meeting-joined", `${meetingId}, host: ${host} (${hostId}), ${m.participants.size} already here`, "good");
  });
  m.on("participant-joined", (p) => {
    log.add("participant-joined", nameOf(p), "good");
    if (!isCurrent()) return;
    chat.addNotice(`${p.displayName} joined`);
    renderMeeting(m);
  });
  m.on("participant-left", (p) => {
    const reason = p.leftReason ?? "left";
    log.add("participant-left", `${nameOf(p)}, reason: ${reason}`, reason === "left" ? "info" : "warn");
    if (!isCurrent()) return;
    chat.addNotice(`${p.displayName} ${PARTICIPANT_LEFT_WORDS[reason]}`);
    renderMeeting(m);
  });
  m.on("participant-reconnecting", (p) => {
    log.add("participant-reconnecting", nameOf(p), "warn");
    if (isCurrent()) renderMeeting(m);
  });
  m.on("participant-reconnected", (p) => {
    log.add("participant-reconnected", nameOf(p), "good");
    if (isCurrent()) renderMeeting(m);
  });
  m.on("host-changed", ({ hostId }) => {
    const host = hostLabel(m);
    log.add("host-changed", `${host} (${hostId})`, "warn");
    if (!isCurrent()) return;
    renderMeeting(m);
    chat.addNotice(host === "you" ? "You are now the host" : `${host} is now the host`);
  });
  m.on("message", ({ participant, direct }) => {
    log.add("message", `from ${nameOf(participant)}${direct ? " (direct)" : ""}`);
  });
  // Chat: ours come back through the subscription too (as in VideoSDK), so everything is shown here,
  // the host's history for late joiners included.
  void m.pubSub.subscribe(CHAT_TOPIC, (message) => {
    const text = chatText({ text: message.message });
    log.add("pubsub", `${CHAT_TOPIC} from ${message.senderName} (${message.senderId})`);
    if (!isCurrent() || text === null) return;
    const own = message.senderId === m.localParticipant.id;
    chat.addMessage({ id: message.senderId, displayName: message.senderName }, text, own, new Date(message.timestamp));
    if (!own) chatButton.received();
  });
  m.on("speaker-changed", ({ activeSpeakerId }) => {
    log.add("speaker-changed", activeSpeakerId ?? "nobody");
    if (isCurrent() && !views.meeting.hidden) stage.render(m);
  });
  m.on("connection-quality-changed", ({ participant, quality }) => {
    log.add("connection-quality-changed", `${nameOf(participant)}: ${quality.score}, ${quality.rttMs ?? "?"} ms`);
    if (isCurrent() && !views.meeting.hidden) renderMeeting(m);
  });
  m.on("entry-requested", (request) => {
    log.add("entry-requested", `${request.name} (${request.participantId})`, "warn");
    if (isCurrent()) entryRequests.add(request);
  });
  m.on("entry-responded", ({ participantId, decision }) => {
    log.add("entry-responded", `${participantId}: ${decision}`);
    if (isCurrent()) entryRequests.remove(participantId);
  });
  m.on("stream-enabled", ({ participant, stream }) => {
    log.add("stream-enabled", `${participant.local ? "you" : nameOf(participant)}: ${stream.kind}`);
    if (participant.local && isCurrent()) void devicePicker.refresh();
    if (isCurrent() && !views.meeting.hidden) renderMeeting(m);
  });
  m.on("stream-disabled", ({ participant, stream }) => {
    log.add("stream-disabled", `${participant.local ? "you" : nameOf(participant)}: ${stream.kind}`);
    if (isCurrent() && !views.meeting.hidden) renderMeeting(m);
  });
  m.on("error", (error) => {
    log.add("error", `${error.code}: ${error.message}`, "bad");
    if (!isCurrent()) return;
    if (error.code === "media-unavailable" || error.code === "insecure-context") reportMediaError(errorParts(error));
    else notice.show(humanText(error));
  });
  m.on("meeting-left", ({ reason }) => {
    log.add("meeting-left", `reason: ${reason}`, reason === "left" ? "info" : "warn");
    if (!isCurrent()) return;
    chat.setEnabled(false);
    stage.clear();
    entryRequests.clear();
    devicePicker.detach();
    enterLeftView(reason, m.meetingId);
  });
}

// ---------------------------------------------------------------------------------------------
// User actions

function createMeeting(meetingId: string, name: string): Meeting {
  return initMeeting({
    meetingId,
    name,
    participantId: settings.participantId,
    micEnabled: ui.joinMic.checked,
    webcamEnabled: ui.joinCam.checked,
    broker: brokerOptions(),
    ...(settings.noIce ? { iceServers: [] } : {}),
    ...(settings.heartbeatTimeout ? { heartbeatTimeout: settings.heartbeatTimeout } : {}),
    waitingRoom: ui.joinWaitingRoom.checked,
  });
}

async function join(meetingId: string, name: string): Promise<void> {
  clearJoinError();
  let m: Meeting;
  try {
    m = createMeeting(meetingId, name);
  } catch (error) {
    failJoin(error);
    return;
  }
  meeting = m;
  endRequested = false;
  mediaErrors = [];
  notice.hide();
  chat.clear();
  chatButton.reset();
  wireMeeting(m);
  log.add("join", `meeting ${meetingId} as ${name}`);
  setJoining(true);
  try {
    await m.join();
    if (inMeeting(m)) enterMeetingView(m);
  } catch (error) {
    if (meeting === m) meeting = null;
    failJoin(error);
  } finally {
    setJoining(false);
  }
}

function failJoin(error: unknown): void {
  const { code, message } = errorParts(error);
  log.add("join failed", `${code}: ${message}`, "bad");
  setStatus("idle");
  leaveCallView(views.join);
  showJoinError(error);
}

async function leave(): Promise<void> {
  const m = meeting;
  if (!m) return;
  ui.leaveButton.disabled = true;
  ui.endButton.disabled = true;
  log.add("leave", "leaving the meeting");
  try {
    await m.leave();
  } catch (error) {
    reportActionError("leave", error, m);
  }
}

async function end(): Promise<void> {
  const m = meeting;
  if (!m) return;
  ui.leaveButton.disabled = true;
  ui.endButton.disabled = true;
  endRequested = true;
  log.add("end", "ending the meeting for everyone");
  try {
    await m.end();
  } catch (error) {
    endRequested = false;
    reportActionError("end", error, m);
  }
}

function reportActionError(action: string, error: unknown, m: Meeting): void {
  const parts = errorParts(error);
  log.add(`${action} failed`, `${parts.code}: ${parts.message}`, "bad");
  if (parts.code === "media-unavailable" || parts.code === "insecure-context") reportMediaError(parts);
  else notice.show(humanText(error));
  if (m === meeting && m.state !== "left") renderMeeting(m);
}

async function toggleMedia(kind: "mic" | "cam"): Promise<void> {
  const m = meeting;
  if (!m || !inMeeting(m)) return;
  const button = kind === "mic" ? ui.toggleMic : ui.toggleCam;
  button.disabled = true;
  try {
    if (kind === "mic") await (m.localParticipant.micOn ? m.muteMic() : m.unmuteMic());
    else await (m.localParticipant.webcamOn ? m.disableWebcam() : m.enableWebcam());
  } catch (error) {
    reportActionError(kind === "mic" ? "microphone" : "camera", error, m);
  }
  if (m === meeting && inMeeting(m)) renderMeeting(m);
}

async function toggleShare(): Promise<void> {
  const m = meeting;
  if (!m || !inMeeting(m)) return;
  try {
    await m.toggleScreenShare();
  } catch (error) {
    // Closing the browser's picker is a choice, not a failure.
    if (errorParts(error).message.includes("NotAllowedError")) log.add("screen share", "not started: the picker was closed");
    else notice.show(humanText(error));
  }
  if (m === meeting && inMeeting(m)) renderMeeting(m);
}

function sendChat(text: string): void {
  const m = meeting;
  if (!m) throw new Error("You are not in a meeting.");
  m.pubSub.publish(CHAT_TOPIC, text, { persist: true }).catch((error: unknown) => {
    const { code, message } = errorParts(error);
    log.add("send failed", `${code}: ${message}`, "bad");
    chat.showError(humanText(error));
  });
}

async function copyInviteLink(): Promise<void> {
  if (!meeting) return;
  const link = inviteLink(meeting.meetingId);
  const copied = await copyText(link);
  ui.copyLink.textContent = copied ? "Copied!" : "Copy failed";
  ui.copyLink.dataset.copied = String(copied);
  log.add("copy-link", copied ? link : `could not copy ${link}`, copied ? "info" : "warn");
  setTimeout(() => {
    ui.copyLink.textContent = "Copy link";
    delete ui.copyLink.dataset.copied;
  }, 2000);
}

async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // Older browsers or a denied permission: fall back to a selected, off-screen textarea.
    const area = document.createElement("textarea");
    area.value = text;
    area.className = "offscreen";
    document.body.append(area);
    area.select();
    const ok = document.execCommand("copy");
    area.remove();
    return ok;
  }
}

function leaveOnPageHide(): void {
  const m = meeting;
  if (m && inMeeting(m)) void m.leave().catch(() => {});
}

// ---------------------------------------------------------------------------------------------
// Start

function bindControls(): void {
  ui.joinForm.addEventListener("submit", (event) => {
    event.preventDefault();
    void join(ui.meetingIdInput.value.trim(), ui.nameInput.value.trim());
  });
  ui.newIdButton.addEventListener("click", () => {
    ui.meetingIdInput.value = randomMeetingId();
    clearJoinError();
  });
  ui.copyLink.addEventListener("click", () => void copyInviteLink());
  ui.leaveButton.addEventListener("click", () => void leave());
  ui.toggleMic.addEventListener("click", () => void toggleMedia("mic"));
  ui.toggleCam.addEventListener("click", () => void toggleMedia("cam"));
  ui.toggleShare.addEventListener("click", () => void toggleShare());
  ui.endButton.addEventListener("click", () => void end());
  ui.rejoinButton.addEventListener("click", () => {
    const meetingId = ui.rejoinButton.dataset.meetingId ?? ui.meetingIdInput.value.trim();
    ui.meetingIdInput.value = meetingId;
    void join(meetingId, ui.nameInput.value.trim());
  });
  ui.startOverButton.addEventListener("click", () => {
    setStatus("idle");
    enterJoinView();
  });
  byId("event-log-clear").addEventListener("click", () => log.clear());
  chat.onSend = sendChat;
  window.addEventListener("pagehide", leaveOnPageHide);
}

function start(): void {
  ui.meetingIdInput.value = settings.meetingId;
  ui.nameInput.value = settings.name;
  bindControls();
  setStatus("idle");
  chat.setEnabled(false);
  showOnly(views.join, allViews);
  log.add("ready", settings.noIce ? "ICE servers: none (?ice=none)" : "ICE servers: library default");
}

start();
