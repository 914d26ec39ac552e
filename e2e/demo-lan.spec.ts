// The demo from another device on the network: plain http there is not a secure context (the page
// says how to fix it), and `npm start -- --https` serves the demo and its broker over https.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "@playwright/test";
import { expect, test } from "meshmeet/testing";
import { lanAddress, startDemoServer } from "./demo-server.js";

const lan = lanAddress();

async function openDemo(browser: Browser, url: string, options: { ignoreHTTPSErrors?: boolean } = {}): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, ...options });
  const page = await context.newPage();
  await page.goto(url);
  return page;
}

test("plain http from a LAN address: not a secure context, and the page says to start with --https", async ({ browser }) => {
  test.skip(!lan, "no LAN address in this namespace");
  const server = await startDemoServer([], { HOST: "0.0.0.0" });
  try {
    const page = await openDemo(browser, `http://${lan}:${server.port}/?ice=none&meeting=lan-http&name=Phone`);
    expect(await page.evaluate(() => window.isSecureContext)).toBe(false);
    await page.getByTestId("join-button").click();
    const error = page.getByTestId("join-error");
    await expect(error).toHaveText(
      "Camera, microphone and signing need https or localhost. Start the demo with npm start -- --https and open the https URL it prints.",
    );
    await expect(error.locator("code")).toHaveText("npm start -- --https");
    await expect(error).toHaveAttribute("data-code", "insecure-context");
    await page.context().close();
  } finally {
    await server.stop();
  }
});

test("npm start -- --https: prints the LAN URL, serves demo and broker over https, two devices meet", async ({ browser }) => {
  test.skip(!lan, "no LAN address in this namespace");
  const certDir = mkdtempSync(join(tmpdir(), "meshmeet-cert-"));
  const server = await startDemoServer(["--https"], { CERT_DIR: certDir });
  const pages: Page[] = [];
  try {
    const url = `https://${lan}:${server.port}/`;
    expect(server.output()).toContain(`  ${url}\n`);
    expect(server.output()).toContain("made now");
    for (const name of ["Phone", "Laptop"]) {
      // The self-signed certificate: the warning a person accepts once per device.
      const page = await openDemo(browser, `${url}?ice=none&meeting=lan-https&name=${name}`, { ignoreHTTPSErrors: true });
      pages.push(page);
      expect(await page.evaluate(() => window.isSecureContext)).toBe(true);
      await page.getByTestId("join-button").click();
      await expect(page.getByTestId("meeting-view")).toBeVisible({ timeout: 20_000 });
    }
    for (const page of pages) await expect(page.getByTestId("participant-tile")).toHaveCount(2, { timeout: 20_000 });
    await expect(pages[0]!.getByTestId("participant-tile").locator("video").first()).toHaveJSProperty("paused", false);
  } finally {
    for (const page of pages) await page.context().close();
    await server.stop();
  }
  // Started again, it keeps the certificate, so each device's exception still holds.
  const again = await startDemoServer(["--https"], { CERT_DIR: certDir });
  try {
    expect(again.output()).toContain("reused");
  } finally {
    await again.stop();
    rmSync(certDir, { recursive: true, force: true });
  }
});
