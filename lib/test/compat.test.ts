// VideoSDK calls accepted for compatibility (lib/compat.ts).
import assert from "node:assert/strict";
import { test } from "node:test";
import { config } from "../compat.js";

test("config(token) accepts anything a VideoSDK app passes and never throws", () => {
  for (const token of ["eyJhbGciOiJIUzI1NiJ9.e30.x", "", undefined, null, 42, { token: "x" }]) assert.doesNotThrow(() => config(token));
});
