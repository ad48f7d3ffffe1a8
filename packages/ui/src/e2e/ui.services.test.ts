import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repo, startGantryUp } from "../../../cli/src/testing/gantry-process.js";
import { tempDir } from "../../../engine/src/testing/temp-dir.js";
import { launchChromium } from "../../../server/src/testing/chromium.js";
import { accessibilityViolations, Screenshots } from "./browser.js";

// End to end: the built UI, served by a real `gantry up` (SQLite, local runner), driven in Chromium.
const WORKFLOWS: Record<string, string> = {
  "deploy-form.yaml": `
name: deploy-form
description: A form with every input type
inputs:
  service: { type: string, required: true, description: The service to deploy }
  environment: { type: choice, enum: [staging, production], default: staging }
  replicas: { type: integer, minimum: 1, maximum: 9, default: 2 }
  verbose: { type: boolean, default: false }
  token: { type: secret }
  labels: { type: object, default: { team: core } }
steps:
  build:
    timeout: 2m
    env: { SERVICE: "\${{ inputs.service }}", TOKEN: "\${{ inputs.token }}" }
    run: |
      printf '\\033[32mbuilding\\033[0m %s\\n' "$SERVICE"
      for i in 1 2 3; do echo "progress $i of 3"; done
      echo "token is $TOKEN"
      # Held here until the test has seen the lines live; the test then creates the gate file.
      # (The worker passes E2E_GATE to steps: GANTRY_STEP_ENV lists it.)
      while [ ! -f "$E2E_GATE" ]; do sleep 0.05; done
      echo "image=$SERVICE:\${{ inputs.replicas }}-\${{ inputs.environment }}" >> "$GANTRY_OUTPUT"
  test:
    needs: build
    run: echo "testing \${{ steps.build.outputs.image }}"
  publish:
    needs: [build, test]
    run: echo published
outputs:
  image: \${{ steps.build.outputs.image }}
`,
  "long.yaml": `
name: long
description: Runs until cancelled
steps:
  wait:
    run: sleep 600
`,
  "boxed.yaml": `
name: boxed
description: Needs a docker worker, which this gantry up does not offer
steps:
  build:
    runner: { type: docker, image: "node:24" }
    run: "true"
`,
  "fan.yaml": `
name: fan
steps:
  each:
    for_each: \${{ fromJSON('["ops","dev"]') }}
    run: |
      echo "start \${{ item }}"
      echo "end \${{ item }}"
  after:
    needs: [each]
    run: echo done
  last:
    needs: [each, after]
    run: echo last
`,
  "nightly.yaml": `
name: nightly
on:
  schedule:
    - { cron: "0 */3 * * *", timezone: Europe/Berlin }
steps:
  report:
    run: echo report
`,
};

const SECRET = "hunter2-e2e-secret";

describe("web UI, end to end", () => {
  let gantry: { url: string; stop(): Promise<void> };
  let browser: Browser;
  let page: Page;
  let gate: string;
  let cleanup = () => {};
  const shots = new Screenshots(path.join(repo, "test-results", "ui-screenshots"));
  const pageErrors: string[] = [];
  // Warnings the page prints (React Router's, React's): the UI should print none.
  const consoleWarnings: string[] = [];

  beforeAll(async () => {
    const temp = tempDir("gantry-e2e-");
    cleanup = temp.cleanup;
    const dir = temp.dir;
    for (const [file, text] of Object.entries(WORKFLOWS)) temp.write(file, text);
    gate = path.join(dir, "gate");
    gantry = await startGantryUp(["--dir", dir, "--data", path.join(dir, "data")], dir, {
      E2E_GATE: gate,
      GANTRY_STEP_ENV: "E2E_GATE",
    });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.setDefaultTimeout(15_000);
    page.on("pageerror", (error) => pageErrors.push(error.message));
    page.on("console", (message) => {
      if (message.type() === "warning") consoleWarnings.push(message.text());
    });
    // Every Content-Security-Policy violation of the page (an eval, an inline script), kept in the page.
    await page.addInitScript(() => {
      const seen: string[] = [];
      (window as unknown as { cspViolations: string[] }).cspViolations = seen;
      document.addEventListener("securitypolicyviolation", (event) =>
        seen.push(`${event.violatedDirective}: ${event.blockedURI} ${event.sample}`),
      );
    });
  });

  afterAll(async () => {
    // Opens the gate even when a test failed before it, so the held step ends and `gantry up` stops at once.
    if (gate && !existsSync(gate)) await writeFile(gate, "go");
    await browser?.close();
    await gantry?.stop();
    cleanup();
    console.log(`UI screenshots (${shots.taken.length}) in ${shots.folder}`);
  });

  it("opens the dashboard and finds a workflow in the list", async () => {
    await page.goto(gantry.url);
    await page.getByRole("heading", { name: "Dashboard" }).waitFor();
    await page.getByText("Next scheduled runs").waitFor();
    await shots.take(page, "dashboard");
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Workflows" }).click();
    await page.getByLabel("Filter workflows").fill("deploy");
    await expect.poll(() => page.locator("[data-workflow]").count()).toBe(1);
    await shots.take(page, "workflows");
    await page.getByRole("link", { name: "deploy-form" }).click();
    await page.waitForURL(/\/workflows\/deploy-form$/);
  });

  it("draws the workflow's DAG and generates its run form from the inputs", async () => {
    await expect.poll(() => page.locator(".react-flow__node").count()).toBe(3);
    await expect.poll(() => page.locator(".react-flow__edge").count()).toBe(3);
    // The zoom controls sit clear of every node.
    const controls = await page.locator(".react-flow__controls").boundingBox();
    for (const node of await page.locator(".react-flow__node").all()) {
      const box = await node.boundingBox();
      const overlaps =
        controls !== null &&
        box !== null &&
        controls.x < box.x + box.width &&
        box.x < controls.x + controls.width &&
        controls.y < box.y + box.height &&
        box.y < controls.y + controls.height;
      expect(overlaps).toBe(false);
    }
    const form = page.getByRole("region", { name: "Run deploy-form" });
    expect(await form.getByLabel(/^service/).getAttribute("required")).not.toBeNull();
    expect(await form.getByLabel(/^environment/).evaluate((e) => e.tagName)).toBe("SELECT");
    expect(await form.getByLabel(/^replicas/).inputValue()).toBe("2");
    expect(await form.getByLabel(/^token/).getAttribute("type")).toBe("password");
    expect(await form.getByRole("switch").getAttribute("aria-checked")).toBe("false");
    expect(await form.getByLabel(/^labels/).inputValue()).toContain('"team": "core"');
    await shots.take(page, "workflow");
    // Nothing is sent while the required input is empty: the message shows, the URL stays.
    await form.getByRole("button", { name: "Run" }).click();
    await form.getByText("Enter a service").waitFor();
    expect(await form.getByText(/must have required property/).count()).toBe(0);
    expect(page.url()).toMatch(/\/workflows\/deploy-form$/);
    // The schema's bounds are checked in the browser too, under a CSP without 'unsafe-eval'.
    await form.getByLabel(/^replicas/).fill("0");
    await form.getByText("At least 1").waitFor();
    await form.getByLabel(/^replicas/).fill("2");
    await form.getByText("At least 1").waitFor({ state: "detached" });
    const policy = (await page.request.get(page.url())).headers()["content-security-policy"];
    expect(policy).toContain("script-src 'self'");
    expect(policy).not.toContain("unsafe-eval");
    expect(
      await page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations),
    ).toEqual([]);
    await shots.take(page, "form-validation");
  });

  it("runs it from the form, streams the log live, then shows success and the outputs", async () => {
    const form = page.getByRole("region", { name: "Run deploy-form" });
    await form.getByLabel(/^service/).fill("billing");
    await form.getByLabel(/^environment/).selectOption({ label: "production" });
    await form.getByLabel(/^replicas/).fill("3");
    await form.getByRole("switch").click();
    await form.getByLabel(/^token/).fill(SECRET);
    await form.getByRole("button", { name: "Run" }).click();
    await page.waitForURL(/\/runs\/[0-9a-f-]{36}$/);

    // The step is held at the gate: these lines can only have arrived live.
    const log = page.getByRole("log");
    await log.getByText("progress 3 of 3").waitFor();
    expect(existsSync(gate)).toBe(false);
    expect(await page.locator("h1 [data-status]").getAttribute("data-status")).toBe("running");
    // `\033[32m` drawn in the log's terminal green.
    const green = log.getByText("building", { exact: true });
    expect(await green.evaluate((e) => getComputedStyle(e).color)).toBe("rgb(35, 209, 139)");
    expect(await log.textContent()).toContain("token is ***");
    await page.locator('.react-flow__node [data-step-status="running"]').waitFor();
    await shots.take(page, "run-live");

    await writeFile(gate, "go");
    await page.locator('h1 [data-status="succeeded"]').waitFor({ timeout: 30_000 });
    await page.locator('[data-value-name="image"]').getByText("billing:3-production").waitFor();
    const text = await page.locator("body").textContent();
    expect(text).not.toContain(SECRET);
    expect(await page.locator('[data-step="publish"] [data-status]').getAttribute("data-status")).toBe(
      "succeeded",
    );
    expect(await page.locator('.react-flow__node [data-step-status="succeeded"]').count()).toBe(3);
    await shots.take(page, "run-succeeded");

    await page.locator('[data-step="test"] button').click();
    await log.getByText("testing billing:3-production").waitFor();
    expect(new URL(page.url()).searchParams.get("step")).toBe("test");
  });

  it("cancels a long run from its page", async () => {
    const started = await fetch(`${gantry.url}/api/v1/workflows/long/runs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    const { id } = (await started.json()) as { id: string };
    await page.goto(`${gantry.url}/runs/${id}`);
    await page.locator('h1 [data-status="running"]').waitFor({ timeout: 30_000 });
    await page.getByRole("button", { name: "Cancel" }).click();
    // Asked first; nothing is cancelled until confirmed.
    const confirm = page.getByRole("dialog", { name: `Cancel this run of long?` });
    await confirm.waitFor();
    await shots.take(page, "run-cancel-confirm");
    expect(await page.locator('h1 [data-status="running"]').count()).toBe(1);
    await confirm.getByRole("button", { name: "Cancel run" }).click();
    await page.locator('h1 [data-status="cancelled"]').waitFor({ timeout: 60_000 });
    await page.getByRole("button", { name: "Re-run", exact: true }).waitFor();
    await page.locator('.react-flow__node [data-step-status="cancelled"]').waitFor();
    await shots.take(page, "run-cancelled");
  });

  it("says what a step no worker can take waits for, and warns", async () => {
    const started = await fetch(`${gantry.url}/api/v1/workflows/boxed/runs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    const { id } = (await started.json()) as { id: string };
    await page.goto(`${gantry.url}/runs/${id}`);
    await page
      .locator('[data-waiting-for="build"]')
      .getByText("waiting for a worker with runner:docker")
      .waitFor();
    await page
      .getByRole("alert")
      .getByText(/no live worker has runner:docker/)
      .waitFor();
    await shots.take(page, "run-waiting-for-worker");
    await fetch(`${gantry.url}/api/v1/runs/${id}/cancel`, { method: "POST" });
  });

  it("shows a for_each step's log in one section per item, with its value and status", async () => {
    const started = await fetch(`${gantry.url}/api/v1/workflows/fan/runs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    const { id } = (await started.json()) as { id: string };
    await page.goto(`${gantry.url}/runs/${id}?step=each`);
    await page.locator('h1 [data-status="succeeded"]').waitFor({ timeout: 60_000 });
    const sections = page.locator("[data-log-section]");
    await expect.poll(() => sections.count()).toBe(2);
    expect(await sections.nth(0).textContent()).toBe("item 0: ops · attempt 1succeeded");
    expect(await sections.nth(1).textContent()).toBe("item 1: dev · attempt 1succeeded");
    await shots.take(page, "run-for-each-sections");
  });

  it("lists runs with filters kept in the URL", async () => {
    await page.goto(`${gantry.url}/runs`);
    // deploy-form (succeeded), long (cancelled), boxed (cancelled while it waited), fan (succeeded).
    await expect.poll(() => page.locator("[data-run-id]").count()).toBe(4);
    await page.getByLabel("Status").selectOption("cancelled");
    await expect.poll(() => page.locator("[data-run-id]").count()).toBe(2);
    expect(new URL(page.url()).searchParams.get("status")).toBe("cancelled");
    await shots.take(page, "runs-filtered");
  });

  it("shows schedules with their next 24 hours", async () => {
    await page.goto(`${gantry.url}/schedules`);
    await page.locator('[data-calendar-row="nightly:0"]').waitFor();
    // Every 3 hours in Berlin: 8 fires in any 24-hour window (the first hour column starts before now).
    const ticks = await page.locator('[data-calendar-row="nightly:0"] [aria-label^="fires at"]').count();
    expect(ticks).toBeGreaterThanOrEqual(7);
    expect(ticks).toBeLessThanOrEqual(8);
    await shots.take(page, "schedules");
  });

  it("creates an API key, shows it once, and revokes it; the audit log records both", async () => {
    await page.goto(`${gantry.url}/keys`);
    await page.getByLabel(/^Name/).fill("ci-bot");
    await page.getByLabel("Role").selectOption("viewer");
    await page.getByRole("button", { name: "Create key" }).click();
    const secret = await page.locator("[data-new-key]").textContent();
    expect(secret).toMatch(/^gantry_/);
    const check = await fetch(`${gantry.url}/api/v1/runs`, {
      headers: { authorization: `Bearer ${secret}` },
    });
    expect(check.status).toBe(200);
    await page.locator('[data-key="ci-bot"]').getByText("active").waitFor();
    await shots.take(page, "api-keys");
    page.once("dialog", (dialog) => dialog.accept());
    await page.getByRole("button", { name: "Revoke ci-bot" }).click();
    await page.locator('[data-key="ci-bot"]').getByText("revoked").waitFor();
    await page.reload();
    expect(await page.locator("[data-new-key]").count()).toBe(0);
    await page.goto(`${gantry.url}/audit`);
    await page.locator('[data-audit-action="key.revoke"]').waitFor();
    await page.locator('[data-audit-action="key.create"]').waitFor();
    await shots.take(page, "audit-log");
  });

  it("has no serious accessibility problem on any page, light or dark (axe-core, WCAG 2 AA)", async () => {
    const pages = [
      "/",
      "/workflows",
      "/workflows/deploy-form",
      "/runs",
      "/schedules",
      "/triggers",
      "/sources",
      "/workers",
      "/nodes",
      "/keys",
      "/audit",
    ];
    const found: Record<string, unknown> = {};
    for (const theme of ["light", "dark"]) {
      await page.evaluate((t) => localStorage.setItem("gantry-theme", t), theme);
      for (const url of pages) {
        await page.goto(gantry.url + url);
        await page.locator("main h1").waitFor();
        await page.locator("main [aria-hidden].animate-pulse").first().waitFor({ state: "detached" });
        const violations = await accessibilityViolations(page);
        if (violations.length > 0) found[`${theme} ${url}`] = violations;
      }
    }
    expect(found).toEqual({});
  });

  it("jumps anywhere from the command palette, and switches to dark mode", async () => {
    await page.evaluate(() => localStorage.setItem("gantry-theme", "light"));
    await page.reload();
    // The shortcut exists once the shell is drawn (after the session is known).
    await page.locator("main h1").waitFor();
    await page.keyboard.press("Control+k");
    await page.getByPlaceholder("Workflow name or run id…").fill("long");
    await page.getByRole("option", { name: "long" }).first().waitFor();
    expect(await page.locator('[cmdk-item][aria-selected="true"]').textContent()).toBe("long");
    await page.keyboard.press("Enter");
    await page.waitForURL(/\/workflows\/long$/);
    await page.getByRole("button", { name: "Switch to dark mode" }).click();
    expect(await page.evaluate(() => document.documentElement.classList.contains("dark"))).toBe(true);
    await page.locator(".react-flow__node").first().waitFor();
    await shots.take(page, "dark-mode");
    expect(pageErrors).toEqual([]);
    expect(consoleWarnings).toEqual([]);
  });
});
