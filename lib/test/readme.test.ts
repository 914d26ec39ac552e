// The README's "Testing your app" example must be the spec CI runs, word for word.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

test("README shows e2e/example.spec.ts verbatim", () => {
  const root = new URL("../../", import.meta.url);
  const readme = readFileSync(new URL("README.md", root), "utf8");
  const example = readFileSync(new URL("e2e/example.spec.ts", root), "utf8");
  assert.ok(readme.includes("```ts\n" + example + "```"), "README's example differs from e2e/example.spec.ts");
});
