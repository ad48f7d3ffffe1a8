import { writeFileSync } from "node:fs";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repo, gantry as runGantry, startGantryUp } from "../../../cli/src/testing/gantry-process.js";
import { tempDir } from "../../../engine/src/testing/temp-dir.js";
import { launchChromium } from "../../../server/src/testing/chromium.js";
import { accessibilityViolations, Screenshots } from "./browser.js";

// A server with `auth.required` and no OIDC, in Chromium against a real `gantry up`: the UI offers an
// API-key sign-in page, opens the page that was asked for, and when the credentials end (here: the key is
// revoked) it asks to sign in again and comes back to the page the person was on.
describe("signing in to the web UI with an API key", () => {
  let gantry: { url: string; stop(): Promise<void> };
  let browser: Browser;
  let page: Page;
  let cleanup = () => {};
  const keys: Record<string, string> = {};
  const shots = new Screenshots(path.join(repo, "test-results", "ui-screenshots"));
  const pageErrors: string[] = [];

  beforeAll(async () => {
    const temp = tempDir("gantry-e2e-sign-in-");
    cleanup = temp.cleanup;
    writeFileSync(
      path.join(temp.dir, "hello.yaml"),
      "name: hello\non: {manual: {}}\nsteps:\n  greet: {run: echo hi}\n",
    );
    writeFileSync(path.join(temp.dir, "gantry.yaml"), "auth: {required: true, secure_cookies: false}\n");
    const data = path.join(temp.dir, "data");
    for (const name of ["alice", "bob"]) {
      const made = await runGantry(["keys", "create", "--data", data, "--name", name, "--role", "admin"], {
        cwd: temp.dir,
      });
      expect(made.code, made.stderr).toBe(0);
      keys[name] = /gantry_\S+/.exec(made.stdout)?.[0] ?? "";
      expect(keys[name]).not.toBe("");
    }
    gantry = await startGantryUp(["--dir", temp.dir, "--data", data], temp.dir);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(20_000);
    page.on("pageerror", (error) => pageErrors.push(error.message));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await gantry?.stop();
    cleanup();
  }, 60_000);

  it("signs in on the key page, opens the page asked for, and signs in again there when the key is revoked", async () => {
    await page.goto(`${gantry.url}/workflows`);
    const form = page.getByRole("heading", { name: "Sign in to Gantry" });
    await form.waitFor();
    expect(await accessibilityViolations(page)).toEqual([]);
    await shots.take(page, "sign-in-with-key");

    await page.getByLabel("API key").fill("gantry_wrong");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").getByText("invalid, expired or revoked API key").waitFor();

    await page.getByLabel("API key").fill(keys.alice as string);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("link", { name: "hello" }).first().waitFor();
    expect(new URL(page.url()).pathname).toBe("/workflows");
    await page.getByText("alice").first().waitFor();

    // Alice's key is revoked elsewhere while she looks at the runs; the page's next refresh finds the
    // session over and asks her to sign in again, in place.
    await page.getByRole("link", { name: "Runs", exact: true }).click();
    await page.waitForURL(`${gantry.url}/runs`);
    await page.getByRole("heading", { name: "Runs" }).first().waitFor();
    const listed = await fetch(`${gantry.url}/api/v1/keys`, {
      headers: { authorization: `Bearer ${keys.bob}` },
    });
    const alice = ((await listed.json()) as { keys: { id: string; name: string }[] }).keys.find(
      (k) => k.name === "alice",
    );
    const revoked = await fetch(`${gantry.url}/api/v1/keys/${alice?.id}`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${keys.bob}` },
    });
    expect(revoked.status).toBe(200);
    await page.getByText("Your session ended. Sign in again to go on where you were.").waitFor();
    expect(new URL(page.url()).pathname).toBe("/runs");
    await shots.take(page, "sign-in-again");
    await page.getByLabel("API key").fill(keys.bob as string);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Runs" }).first().waitFor();
    expect(new URL(page.url()).pathname).toBe("/runs");
    await page.getByText("bob").first().waitFor();
    expect(pageErrors).toEqual([]);
  }, 120_000);
});
