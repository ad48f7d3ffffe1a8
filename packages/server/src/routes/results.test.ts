// biome-ignore-all lint/suspicious/noTemplateCurlyInString: workflows in these tests are full of ${{ }}.
import { createHash } from "node:crypto";
import { gunzipSync } from "node:zlib";
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
  "ship.yaml": `
name: ship
steps:
  pack:
    uses: gantry/upload-artifact
    with:
      name: site
      path: public
      run: mkdir -p public && echo "<h1>hi</h1>" > public/index.html
`,
};

describe("run results in the API", () => {
  let stack: TestApp;
  let worker: Worker;

  beforeAll(async () => {
    stack = await openTestApp("gantry-results-", WORKFLOWS);
    worker = await startTestWorker(stack.service, stack.dir, { files: { objects: stack.logArchive } });
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

  it("lists a run's artifacts and serves each as the stored .tar.gz with its SHA-256", async () => {
    const started = await stack.app.inject({
      method: "POST",
      url: "/api/v1/workflows/ship/runs",
      payload: {},
    });
    const id = started.json().id as string;
    expect((await finished(id)).status).toBe("succeeded");
    const list = await stack.app.inject({ url: `/api/v1/runs/${id}/artifacts` });
    expect(list.statusCode).toBe(200);
    const [artifact] = list.json().artifacts;
    expect(artifact).toMatchObject({
      name: "site",
      step: "pack",
      files: 1,
      download_url: `/api/v1/runs/${id}/artifacts/site`,
    });
    const download = await stack.app.inject({ url: artifact.download_url });
    expect(download.statusCode).toBe(200);
    expect(download.headers["content-type"]).toBe("application/gzip");
    expect(download.headers["content-disposition"]).toBe('attachment; filename="site.tar.gz"');
    expect(download.rawPayload.length).toBe(artifact.size);
    expect(createHash("sha256").update(download.rawPayload).digest("hex")).toBe(artifact.sha256);
    expect(download.headers["x-gantry-sha256"]).toBe(artifact.sha256);
    // A tar: the file's name in the first header, its content after it.
    const tar = gunzipSync(download.rawPayload).toString("latin1");
    expect(tar.slice(0, 100)).toContain("public/index.html");
    expect(tar).toContain("<h1>hi</h1>");

    expect((await stack.app.inject({ url: `/api/v1/runs/${id}/artifacts/nope` })).statusCode).toBe(404);
    expect((await stack.app.inject({ url: "/api/v1/runs/no-such-run/artifacts" })).statusCode).toBe(404);
  });
});
