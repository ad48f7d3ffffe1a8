import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gantry, startGantryUp } from "../testing/gantry-process.js";

// The built `gantry` binary against `gantry up`: `gantry rerun` asks its API.
describe("gantry rerun (against gantry up)", () => {
  let dir: string;
  let up: Awaited<ReturnType<typeof startGantryUp>>;
  let trace: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "gantry-rerun-cli-"));
    trace = path.join(dir, "trace");
    mkdirSync(path.join(dir, "flows"));
    writeFileSync(
      path.join(dir, "flows", "two.yaml"),
      `name: two
steps:
  first: {run: 'echo first >> "${trace}"'}
  second: {needs: first, run: 'echo second >> "${trace}"'}
`,
    );
    up = await startGantryUp(["--data", path.join(dir, "data"), "--dir", path.join(dir, "flows")], dir);
  });

  afterAll(async () => {
    await up?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function finished(id: string): Promise<{ status: string }> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const run = (await (await fetch(`${up.url}/api/v1/runs/${id}`)).json()) as { status: string };
      if (!["pending", "queued", "running"].includes(run.status)) return run;
      if (Date.now() > deadline) throw new Error(`run ${id} still ${run.status}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it("re-runs from a step, and says what is wrong with a bad request", async () => {
    const started = await fetch(`${up.url}/api/v1/workflows/two/runs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    const { id } = (await started.json()) as { id: string };
    expect((await finished(id)).status).toBe("succeeded");

    const again = await gantry(["rerun", id, "--from", "second", "--server", up.url]);
    expect(again.stderr).toMatch(/at the pinned revision [0-9a-f]{12}, from step second/);
    expect(again.code).toBe(0);
    expect((await finished(again.stdout.trim())).status).toBe("succeeded");
    expect(readFileSync(trace, "utf8")).toBe("first\nsecond\nsecond\n");

    const unknown = await gantry(["rerun", id, "--from", "third", "--server", up.url]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/400: from_step: workflow 'two' has no step 'third'/);
    const bad = await gantry(["rerun", id, "--revision", "latest", "--server", up.url]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/allowed: pinned, current/);
  });
});
