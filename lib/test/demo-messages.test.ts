// The demo's words for errors (demo/messages.ts): what happened and what to do, never a raw code.
import assert from "node:assert/strict";
import { test } from "node:test";
import { MeshError, type MeshErrorCode } from "../errors.js";
import { describeError, describeMediaErrors, deviceOf, mediaTrouble } from "../../demo/messages.js";

const page = { server: "192.168.1.20:8080" };

/** A media error as lib/media.ts makes it: "<device> unavailable: <name>: <message>", the DOMException as cause. */
function mediaError(device: "camera" | "microphone", name: string, message = "Permission denied"): MeshError {
  const cause = new DOMException(message, name);
  return new MeshError("media-unavailable", `${device} unavailable: ${name}: ${message}`, { cause });
}

test("camera and microphone both refused: one sentence naming both, saying where to allow them", () => {
  const text = describeMediaErrors([mediaError("microphone", "NotAllowedError"), mediaError("camera", "NotAllowedError")]);
  assert.equal(
    text,
    "Camera and microphone are blocked. Allow them in the browser's site settings (the icon left of the address bar), then turn them on again.",
  );
});

test("one device refused names only that device", () => {
  assert.match(describeMediaErrors([mediaError("camera", "NotAllowedError")]), /^Camera is blocked\. Allow it /);
  assert.match(describeError(mediaError("microphone", "NotAllowedError"), page), /^Microphone is blocked\./);
});

test("missing, busy, dismissed and stopped devices each say what to do", () => {
  assert.match(describeMediaErrors([mediaError("camera", "NotFoundError", "Requested device not found")]), /^No camera found\. Connect one/);
  assert.match(
    describeMediaErrors([mediaError("camera", "NotFoundError"), mediaError("microphone", "NotFoundError")]),
    /^No camera or microphone found\. Connect them/,
  );
  assert.match(describeMediaErrors([mediaError("camera", "NotReadableError", "Could not start video source")]), /another app/);
  assert.match(describeMediaErrors([mediaError("microphone", "NotAllowedError", "Permission dismissed")]), /choose Allow/);
  const stopped = new MeshError("media-unavailable", "camera unavailable: Error: the device stopped", { cause: new Error("the device stopped") });
  assert.equal(mediaTrouble(stopped), "stopped");
  assert.match(describeMediaErrors([stopped]), /^Camera stopped/);
});

test("different troubles for the two devices: one sentence each", () => {
  const text = describeMediaErrors([mediaError("camera", "NotFoundError"), mediaError("microphone", "NotAllowedError")]);
  assert.match(text, /^No camera found\..* Microphone is blocked\./);
});

test("which device: read from the library's message", () => {
  assert.equal(deviceOf(mediaError("camera", "NotAllowedError")), "camera");
  assert.equal(deviceOf(mediaError("microphone", "NotAllowedError")), "microphone");
  assert.equal(deviceOf({ code: "media-unavailable", message: "something else" }), null);
});

test("not a secure context: how to start the demo over https", () => {
  const error = new MeshError("insecure-context", "WebCrypto (crypto.subtle) is unavailable: this page is not a secure context");
  assert.equal(
    describeError(error, page),
    "Camera, microphone and signing need https or localhost. Start the demo with `npm start -- --https` and open the https URL it prints.",
  );
  // The camera's own insecure-context error, among media errors, says the same once.
  assert.equal(describeMediaErrors([error, error]), describeError(error, page));
});

test("broker unreachable names the server and asks whether npm start still runs", () => {
  const error = new MeshError("broker-unreachable", "cannot reach the broker: broker error (network): Lost connection to server.");
  const text = describeError(error, page);
  assert.match(text, /^Can't reach the meeting server at 192\.168\.1\.20:8080\. Is `npm start` still running\?/);
  assert.doesNotMatch(text, /broker-unreachable|Lost connection/);
});

test("every library code has words without its code in them; unknown codes fall back", () => {
  const codes: MeshErrorCode[] = [
    "invalid-id", "invalid-argument", "not-joined", "already-joined", "meeting-ended", "not-host",
    "duplicate-participant", "broker-unreachable", "host-unreachable", "host-unverified", "payload-too-large",
    "unknown-participant", "unauthorized-terminate", "signaling-lost", "media-unavailable", "insecure-context",
    "join-cancelled", "backlog-full", "links-failed", "internal",
  ];
  for (const code of codes) {
    const text = describeError({ code, message: "raw detail" }, page);
    assert.ok(text.length > 20, `${code}: ${text}`);
    assert.ok(!text.includes(code), `${code} shows its code: ${text}`);
    assert.match(text, /[.?!]$/, `${code} is not a sentence: ${text}`);
  }
  assert.equal(describeError({ code: "new-code", message: "boom" }, page), "Something went wrong (boom). Reload the page and try again.");
});
