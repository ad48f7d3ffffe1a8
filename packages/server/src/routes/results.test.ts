// biome-ignore-all lint/suspicious/noTemplateCurlyInString: workflows in these tests are full of ${{ }}.
import type { Worker } from "@gantry/engine";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestApp, startTestWorker, type TestApp } from "../testing/test-app.js";

const WORKFLOWS: Record<string, string> = {
  "summary.yaml": `
name: summary
steps:
  fan:
    for_each: \${{ fromJSON('["a","b"]') }}
    run: echo "leg \${{ item }}" >> "$GANTRY_STEP_SUMMARY"
  plain:
    run: printf '# Report\\n<script>alert(1)</script>\\n' >> "$GITHUB_STEP_SUMMARY"
  none:
    run: "true"
`,
};

describe("run results in the API", () => {
  let stack: TestApp;
  let worker: Worker;

  beforeAll(async () => {
    stack = await openTestApp("gantry-results-", WORKFLOWS);
    worker = await startTestWorker(stack.service, stack.dir);
  });
  afterAll(async () => {
    await worker?.stop();
    await stack?.close();
  });

  async function finished(id: string) {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const run = (await stack.app.inject({ url: `/api/v1/runs/${id}` })).json();
      if (!["pending", "queued", "running"].includes(run.status)) return run;
      if (Date.now() > deadline) throw new Error(`run ${id} still ${run.status}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it("GET /api/v1/runs/{id} returns each step's summary, and every attempt's in `summaries`", async () => {
    const started = await stack.app.inject({
      method: "POST",
      url: "/api/v1/workflows/summary/runs",
      payload: {},
    });
    expect(started.statusCode).toBe(201);
    const run = await finished(started.json().id);
    expect(run.status).toBe("succeeded");
    expect(run.steps.fan.summary).toBe("leg a\n\n\n---\n\nleg b\n");
    // Stored as written: the page renders it with HTML disabled (see the UI's markdown test).
    expect(run.steps.plain.summary).toBe("# Report\n<script>alert(1)</script>\n");
    expect(run.steps.none.summary).toBeUndefined();
    expect(
      run.summaries
        .map((s: { step: string; item_index: number; attempt: number }) => [s.step, s.item_index, s.attempt])
        .sort(),
    ).toEqual([
      ["fan", 0, 1],
      ["fan", 1, 1],
      ["plain", 0, 1],
    ]);
  });
});
