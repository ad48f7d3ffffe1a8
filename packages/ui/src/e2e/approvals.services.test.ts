import { copyFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repo, startGantryUp } from "../../../cli/src/testing/gantry-process.js";
import { tempDir } from "../../../engine/src/testing/temp-dir.js";
import { launchChromium } from "../../../server/src/testing/chromium.js";
import { accessibilityViolations, Screenshots } from "./browser.js";

// The Approvals inbox, the run page's approval cards and the Deployments page, in Chromium against a
// real `gantry up` running examples/deploy.yaml.
describe("approvals in the web UI", () => {
  let gantry: { url: string; stop(): Promise<void> };
  let browser: Browser;
  let page: Page;
  let cleanup = () => {};
  const shots = new Screenshots(path.join(repo, "test-results", "ui-screenshots"));
  const pageErrors: string[] = [];

  beforeAll(async () => {
    const temp = tempDir("gantry-e2e-approvals-");
    cleanup = temp.cleanup;
    copyFileSync(path.join(repo, "examples/deploy.yaml"), path.join(temp.dir, "deploy.yaml"));
    writeFileSync(
      path.join(temp.dir, "gantry.yaml"),
      "environments:\n  - {name: production, approvers: {roles: [operator]}, secrets: {DEPLOY_TOKEN: ref+env://DEPLOY_TOKEN}}\n",
    );
    gantry = await startGantryUp(["--dir", temp.dir, "--data", path.join(temp.dir, "data")], temp.dir, {
      DEPLOY_TOKEN: "e2e-token",
      DEPLOY_NOTIFY_URL: "http://127.0.0.1:9/unreachable",
      DEPLOY_NOTIFY_SECRET: "s",
    });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.setDefaultTimeout(20_000);
    page.on("pageerror", (error) => pageErrors.push(error.message));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await gantry?.stop();
    cleanup();
  }, 60_000);

  it("approves from the inbox with the generated form, then the environment from the run page", async () => {
    const created = await fetch(`${gantry.url}/api/v1/workflows/deploy/runs`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: gantry.url },
      body: JSON.stringify({ inputs: { version: "3.1.4" } }),
    });
    const { id } = (await created.json()) as { id: string };
    await page.goto(`${gantry.url}/approvals`);
    const card = page.locator(`[data-approval="${id}:approve"]`);
    await card.getByText("Deploy 3 services to update to 3.1.4?").waitFor();
    expect(await accessibilityViolations(page)).toEqual([]);
    await shots.take(page, "approvals");
    // The form checks the pattern before anything is sent.
    await card.getByLabel(/^ticket/).fill("nope");
    await card.getByRole("button", { name: "Approve" }).click();
    await card.getByText(/must match pattern/).waitFor();
    await card.getByLabel(/^ticket/).fill("OPS-99");
    await card.getByLabel("Comment").fill("ship it");
    await card.getByRole("button", { name: "Approve" }).click();
    await card.waitFor({ state: "detached" });

    await page.goto(`${gantry.url}/runs/${id}`);
    const env = page.locator(`[data-approval="${id}:deploy"]`);
    await env.getByText("Deploy to production (step deploy)").waitFor();
    await shots.take(page, "run-environment-approval");
    await env.getByRole("button", { name: "Approve" }).click();
    await page.locator("header, main").getByText("succeeded").first().waitFor({ timeout: 60_000 });
    await page.locator('[data-notification="approval_required:webhook"]').first().waitFor();

    await page.goto(`${gantry.url}/deployments`);
    const production = page.locator('[data-environment="production"]');
    await production.getByText("deploy", { exact: true }).waitFor();
    await production.getByText("local").first().waitFor();
    expect(await accessibilityViolations(page)).toEqual([]);
    await shots.take(page, "deployments");
    expect(pageErrors).toEqual([]);
  }, 120_000);

  it("rejects on the run page from the approval's own form, with a comment", async () => {
    const created = await fetch(`${gantry.url}/api/v1/workflows/deploy/runs`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: gantry.url },
      body: "{}",
    });
    const { id } = (await created.json()) as { id: string };
    await page.goto(`${gantry.url}/runs/${id}`);
    const card = page.locator(`[data-approval="${id}:approve"]`);
    await card.getByText("Deploy 3 services to update to 1.4.2?").waitFor();
    // The form generated from the approval's inputs is on the run page too; a rejection needs no ticket.
    await card.getByLabel(/^ticket/).waitFor();
    await card.getByLabel("Comment").fill("freeze week");
    await card.getByRole("button", { name: "Reject" }).click();
    await card.waitFor({ state: "detached" });
    await page.getByText("rejected by local: freeze week").first().waitFor({ timeout: 60_000 });
    const run = (await (await fetch(`${gantry.url}/api/v1/runs/${id}`)).json()) as {
      status: string;
      steps: Record<string, { error?: string; status: string }>;
    };
    expect(run.status).toBe("failed");
    expect(run.steps.approve?.error).toBe("rejected by local: freeze week");
    expect(run.steps.deploy?.status).toBe("skipped");
    await shots.take(page, "run-approval-rejected");
    expect(pageErrors).toEqual([]);
  }, 120_000);
});
