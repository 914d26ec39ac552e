// Who is in the meeting: the sidebar list (the stage's video tiles are in tiles.ts).
import type { Meeting, Participant } from "../lib/index.js";
import { el, hueFor, initials } from "./dom.js";
import { mediaIndicators } from "./tiles.js";

/** Us first, then everyone else in the order they arrived. */
export function everyone(meeting: Meeting): Participant[] {
  return [meeting.localParticipant, ...meeting.participants.values()];
}

/** The host's display name as this participant should read it. */
export function hostLabel(meeting: Meeting): string {
  const hostId = meeting.hostId;
  if (hostId === null) return "nobody yet";
  if (hostId === meeting.localParticipant.id) return "you";
  return meeting.participants.get(hostId)?.displayName ?? hostId;
}

function avatar(participant: Participant, size: "small" | "large"): HTMLElement {
  const node = el("span", { className: `avatar avatar-${size}`, text: initials(participant.displayName) });
  node.setAttribute("aria-hidden", "true");
  node.style.setProperty("--hue", String(hueFor(participant.id)));
  return node;
}

function hostBadge(): HTMLElement {
  return el("span", { className: "badge badge-host", text: "Host", testid: "host-badge" });
}

function youTag(): HTMLElement {
  return el("span", { className: "badge badge-you", text: "You" });
}

function tags(participant: Participant, isHost: boolean): HTMLElement[] {
  const list: HTMLElement[] = [];
  if (participant.local) list.push(youTag());
  if (isHost) list.push(hostBadge());
  if (participant.reconnecting) list.push(el("span", { className: "badge badge-reconnecting", text: "Reconnecting" }));
  return list;
}

// How our link to a participant is doing (participant.connectionQuality), as a coloured dot.
function qualityDot(participant: Participant): HTMLElement {
  const quality = participant.connectionQuality;
  const score = quality?.score ?? "unknown";
  const title = quality
    ? `Connection ${score}: ${quality.rttMs ?? "?"} ms round trip, ${quality.lossPercent ?? 0} % loss, ${quality.inboundKbps} kbit/s in`
    : "Connection: measuring";
  return el("span", { className: `quality quality-${score}`, testid: "connection-quality", attrs: { "data-score": score, title, "aria-label": title } });
}

// As host: removes someone from the meeting (they cannot come back into it).
function removeButton(participant: Participant, onError: (error: unknown) => void): HTMLElement {
  const button = el("button", { className: "button button-ghost button-small person-remove", text: "Remove", testid: "remove-participant" });
  button.type = "button";
  button.title = `Remove ${participant.displayName} from the meeting`;
  button.addEventListener("click", () => {
    button.disabled = true;
    participant.remove().catch((error: unknown) => {
      button.disabled = false;
      onError(error);
    });
  });
  return button;
}

function listItem(participant: Participant, isHost: boolean, canRemove: boolean, onError: (error: unknown) => void): HTMLLIElement {
  return el(
    "li",
    {
      className: "person",
      testid: "participant",
      attrs: {
        "data-participant-id": participant.id,
        "data-host": String(isHost),
        "data-local": String(participant.local),
      },
    },
    avatar(participant, "small"),
    el("span", { className: "person-name", text: participant.displayName, testid: "participant-name" }),
    el("span", { className: "person-tags" }, ...tags(participant, isHost)),
    ...(participant.local ? [] : [qualityDot(participant)]),
    mediaIndicators(participant),
    ...(canRemove ? [removeButton(participant, onError)] : []),
  );
}

/** Redraws the participant list and its count from the meeting's current roster. */
export function renderRoster(meeting: Meeting, list: HTMLElement, count: HTMLElement, onError: (error: unknown) => void): void {
  const people = everyone(meeting);
  const isHost = (p: Participant): boolean => p.id === meeting.hostId;
  list.replaceChildren(...people.map((p) => listItem(p, isHost(p), meeting.isHost && !p.local, onError)));
  count.textContent = String(people.length);
}
