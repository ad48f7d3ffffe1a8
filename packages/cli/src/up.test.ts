import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gantry, startGantryUp } from "./testing/gantry-process.js";

// `gantry up` as the README's first command starts it: SQLite, the examples, a port it prints.
describe("gantry up, then gantry logs", () => {
  let data: string;
  let up: Awaited<ReturnType<typeof startGantryUp>>;
  let url: string;

  beforeAll(async () => {
    data = mkdtempSync(path.join(os.tmpdir(), "gantry-up-"));
    up = await startGantryUp(["--data", data]);
    url = up.url;
  });

  afterAll(async () => {
    await up.stop();
    rmSync(data, { recursive: true, force: true });
  });

  it("loads the examples and follows a run's log until it ends", { timeout: 60_000 }, async () => {
    const workflows = (await (await fetch(`${url}/api/v1/workflows`)).json()) as {
      workflows: Array<{ name: string }>;
    };
    expect(workflows.workflows.map((w) => w.name)).toContain("dag-languages");
    const created = await fetch(`${url}/api/v1/workflows/dag-languages/runs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ inputs: { count: 4 } }),
    });
    const { id } = (await created.json()) as { id: string };
    const followed = await gantry(["logs", id, "--follow", "--server", url]);
    expect(followed.code).toBe(0);
    expect(followed.stdout).toMatch(/^report \| sum of 1\.\.4 is 10$/m);
    expect(followed.stdout).toMatch(/^report \| squares: \[1,4,9,16\]$/m);
    // After the run: the text from the archive, one step only.
    const text = await gantry(["logs", id, "--step", "report", "--server", url]);
    expect(text.stdout).toBe("sum of 1..4 is 10\nsquares: [1,4,9,16]\n");
    const missing = await gantry(["logs", "no-such-run", "--server", url]);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe("gantry: 404: unknown run 'no-such-run'");
  });
});
