import { readFile } from "node:fs/promises";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repo, startGantryUp } from "../../../cli/src/testing/gantry-process.js";
import { importFixturesDir } from "../../../cli/src/testing/import-fixtures.js";
import { tempDir } from "../../../engine/src/testing/temp-dir.js";
import { launchChromium } from "../../../server/src/testing/chromium.js";
import { accessibilityViolations, Screenshots } from "./browser.js";

const fixture = (kind: string, name: string) => path.join(importFixturesDir(), kind, name);
const CRONJOB = fixture("cronjob", "LostSynapse__zot-cache-warmer__deploy_cronjob.yaml");
const GITHUB = fixture("github-actions", "vitejs__vite__.github_workflows_ci.yml");

// The Import page end to end: the built UI served by a real `gantry up`, driven in Chromium.
describe("import page, end to end", () => {
  let gantry: { url: string; stop(): Promise<void> };
  let browser: Browser;
  let page: Page;
  let cleanup = () => {};
  const shots = new Screenshots(path.join(repo, "test-results", "ui-screenshots-import"));
  const pageErrors: string[] = [];

  beforeAll(async () => {
    const temp = tempDir("gantry-e2e-import-");
    cleanup = temp.cleanup;
    temp.write("hello.yaml", "name: hello\nsteps:\n  hi:\n    run: echo hi\n");
    gantry = await startGantryUp(["--dir", temp.dir, "--data", path.join(temp.dir, "data")], temp.dir);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1500, height: 1100 }, acceptDownloads: true });
    page.setDefaultTimeout(15_000);
    page.on("pageerror", (error) => pageErrors.push(error.message));
  });

  afterAll(async () => {
    await browser?.close();
    await gantry?.stop();
    cleanup();
    console.log(`Import page screenshots (${shots.taken.length}) in ${shots.folder}`);
  });

  it("uploads a CronJob, shows the workflow beside the report, and downloads it", async () => {
    await page.goto(gantry.url);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Import" }).click();
    await page.getByRole("heading", { name: "Import" }).waitFor();
    await page.getByLabel("Upload a file").setInputFiles(CRONJOB);
    // The kind is recognised from the file once it is read.
    await expect.poll(() => page.getByLabel("Source").inputValue()).toBe("cronjob");
    await page.getByLabel("Runner").selectOption("docker");
    await page.getByRole("button", { name: "Convert" }).click();
    const workflow = page.locator('[data-import-output="zot-cache-warmer.yaml"]');
    await workflow.waitFor();
    const text = (await workflow.textContent()) ?? "";
    expect(text).toContain("concurrency: forbid");
    expect(text).toContain("starting_deadline: 5m");
    expect(text).toContain("type: docker");
    // The source's comments came along.
    expect(text).toContain("# Don't run a new Job while a previous one is still running.");
    expect(await page.locator("[data-import-status]").textContent()).toBe("not fully converted");
    await page.locator('[data-import-outcome="manual"] [data-feature="volumes"]').first().waitFor();
    await page.locator('[data-import-outcome="converted"] summary').click();
    await page.locator('[data-import-outcome="converted"] [data-feature="concurrency-policy"]').waitFor();
    await page.locator('[data-import-outcome="difference"] [data-feature="no-time-zone"]').waitFor();
    await shots.take(page, "import-cronjob");

    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: "Download zot-cache-warmer.yaml" }).click(),
    ]);
    expect(download.suggestedFilename()).toBe("zot-cache-warmer.yaml");
    const saved = await download.path();
    expect(await readFile(saved, "utf8")).toBe(text);

    // The action the step runs is the second file.
    await page.getByRole("tab", { name: "actions/zot-cache-warmer-warmer/action.yaml" }).click();
    await page
      .locator('[data-import-output="actions/zot-cache-warmer-warmer/action.yaml"]')
      .getByText("using: container")
      .waitFor();
  });

  it("converts a pasted GitHub workflow: what is not converted says what to do by hand", async () => {
    await page.getByLabel("File name").fill(".github/workflows/ci.yml");
    await page.getByLabel(/^Or paste it/).fill(await readFile(GITHUB, "utf8"));
    await expect.poll(() => page.getByLabel("Source").inputValue()).toBe("github-actions");
    await page.getByRole("button", { name: "Convert" }).click();
    await page
      .locator('[data-import-outcome="manual"] [data-feature="third-party-action"]')
      .first()
      .waitFor();
    const manual = (await page.locator('[data-import-outcome="manual"]').textContent()) ?? "";
    expect(manual).toContain("pnpm/action-setup");
    const workflow = (await page.locator("[data-import-output]").first().textContent()) ?? "";
    expect(workflow).toContain("name: ci\n");
    expect(workflow).toContain("test-failed:");
    expect(workflow).toContain("NOT FULLY CONVERTED");
    await shots.take(page, "import-github-actions");
  });

  it("has no serious accessibility problem, light or dark", async () => {
    const found: Record<string, unknown> = {};
    for (const theme of ["light", "dark"]) {
      await page.evaluate((t) => localStorage.setItem("gantry-theme", t), theme);
      await page.goto(`${gantry.url}/import`);
      await page.getByRole("heading", { name: "Import" }).waitFor();
      await page.getByLabel("Upload a file").setInputFiles(CRONJOB);
      await page.getByRole("button", { name: "Convert" }).click();
      await page.locator("[data-import-result]").waitFor();
      const violations = await accessibilityViolations(page);
      if (violations.length > 0) found[theme] = violations;
      if (theme === "dark") await shots.take(page, "import-dark");
    }
    expect(found).toEqual({});
    expect(pageErrors).toEqual([]);
  });
});
