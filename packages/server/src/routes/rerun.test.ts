// biome-ignore-all lint/suspicious/noTemplateCurlyInString: workflows in these tests are full of ${{ }}.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { LogArchiver, registerFolder, type Worker } from "@gantry/engine";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestApp, startTestWorker, type TestApp } from "../testing/test-app.js";

/** build -> test -> deploy, and a `lint` beside test; each appends its name to $TRACE. */
const chain = (deployLine: string) => `
name: chain
inputs:
  trace: {type: string, required: true}
env: {TRACE: "\${{ inputs.trace }}"}
steps:
  build:
    run: |
      echo building
      echo build >> "$TRACE"
      echo "stamp=$(date +%s%N)" >> "$GANTRY_OUTPUT"
  lint:
    needs: build
    run: echo lint >> "$TRACE"
  test:
    needs: build
    run: echo test >> "$TRACE"
  deploy:
    needs: [test, lint]
    env: {STAMP: "\${{ steps.build.outputs.stamp }}"}
    run: |
      echo "${deployLine} $STAMP" >> "$TRACE"
`;

describe("re-run from a step", () => {
  let t: TestApp;
  let worker: Worker;

  beforeAll(async () => {
    t = await openTestApp("gantry-rerun-", { "chain.yaml": chain("deploy") });
    const archiver = new LogArchiver(t.service, t.logArchive, path.join(t.dir, "spool"));
    worker = await startTestWorker(t.service, t.dir, { logs: { archiver } });
  });
  afterAll(async () => {
    await worker?.stop();
    await t?.close();
  });

  async function waitForRun(id: string) {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const run = (await t.app.inject({ url: `/api/v1/runs/${id}` })).json();
      if (!["pending", "queued", "running"].includes(run.status)) return run;
      if (Date.now() > deadline) throw new Error(`run ${id} still ${run.status}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async function archived(runId: string) {
    const db = t.service.database.db;
    const deadline = Date.now() + 30_000;
    for (;;) {
      const chunks = await db.selectFrom("log_chunks").select("step").where("run_id", "=", runId).execute();
      if (chunks.length === 0) break;
      if (Date.now() > deadline) throw new Error(`logs of ${runId} not archived`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return db.selectFrom("log_archives").select("step").where("run_id", "=", runId).execute();
  }

  const rerun = (id: string, payload: object) =>
    t.app.inject({ method: "POST", url: `/api/v1/runs/${id}/rerun`, payload });

  it("re-runs a step and everything after it, reusing earlier outputs, after the logs were archived", async () => {
    const trace = path.join(t.dir, "trace-1");
    const start = await t.app.inject({
      method: "POST",
      url: "/api/v1/workflows/chain/runs",
      payload: { inputs: { trace } },
    });
    const first = await waitForRun(start.json().id);
    expect(first.status).toBe("succeeded");
    // Its log lives only in the archive now: no live chunks are left in the store.
    expect((await archived(first.id)).map((a) => a.step)).toEqual(["build"]);
    const before = readFileSync(trace, "utf8").trim().split("\n");
    expect(before.slice(0, 1)).toEqual(["build"]);
    const stamp = (before.at(-1) as string).split(" ")[1];

    const res = await rerun(first.id, { from_step: "test" });
    expect(res.statusCode).toBe(201);
    expect(res.json().revision).toBe(first.revision);
    const again = await waitForRun(res.json().id);
    expect(again.status).toBe("succeeded");
    expect(again.trigger).toMatchObject({ rerun_of: first.id, rerun_from: "test" });
    const lines = readFileSync(trace, "utf8").trim().split("\n").slice(before.length);
    // test and deploy ran again; build and lint (not after test) did not, and deploy saw build's old output.
    expect(lines.sort()).toEqual([`deploy ${stamp}`, "test"]);
    const attempts = await t.service.database.db
      .selectFrom("step_attempts")
      .select("step")
      .where("run_id", "=", again.id)
      .execute();
    expect(attempts.map((a) => a.step).sort()).toEqual(["deploy", "test"]);
    expect(again.steps.build.status).toBe("succeeded");
  });

  it("uses the workflow's current revision only when asked", async () => {
    const trace = path.join(t.dir, "trace-2");
    const start = await t.app.inject({
      method: "POST",
      url: "/api/v1/workflows/chain/runs",
      payload: { inputs: { trace } },
    });
    const first = await waitForRun(start.json().id);
    writeFileSync(path.join(t.dir, "flows", "chain.yaml"), chain("deploy-v2"));
    const { problems } = await registerFolder(t.service, path.join(t.dir, "flows"));
    expect(problems).toEqual([]);

    const pinned = await waitForRun((await rerun(first.id, { from_step: "deploy" })).json().id);
    expect(pinned.revision).toBe(first.revision);
    const current = await rerun(first.id, { from_step: "deploy", revision: "current" });
    expect(current.statusCode).toBe(201);
    const latest = await waitForRun(current.json().id);
    expect(latest.revision).not.toBe(first.revision);
    expect(latest.trigger).toMatchObject({ rerun_revision: "current" });
    const deploys = readFileSync(trace, "utf8")
      .trim()
      .split("\n")
      .filter((l) => l.startsWith("deploy"))
      .map((l) => l.split(" ")[0]);
    expect(deploys).toEqual(["deploy", "deploy", "deploy-v2"]);
  });

  it("refuses an unknown step, a combination, and a run still going, naming the field", async () => {
    const trace = path.join(t.dir, "trace-3");
    const first = await waitForRun(
      (
        await t.app.inject({
          method: "POST",
          url: "/api/v1/workflows/chain/runs",
          payload: { inputs: { trace } },
        })
      ).json().id,
    );
    const unknown = await rerun(first.id, { from_step: "nope" });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().errors[0]).toMatchObject({ field: "from_step" });
    expect(unknown.json().error).toMatch(/no step 'nope'.*steps: build, lint, test, deploy/);
    const both = await rerun(first.id, { from_step: "test", from_failed: true });
    expect(both.statusCode).toBe(400);
    const badRevision = await rerun(first.id, { revision: "latest" });
    expect(badRevision.statusCode).toBe(400);
    expect(badRevision.json().error).toMatch(/pinned|current|allowed/);
    expect((await rerun("no-such-run", { from_step: "test" })).statusCode).toBe(404);
    await t.service.database.db
      .updateTable("runs")
      .set({ status: "running" })
      .where("id", "=", first.id)
      .execute();
    expect((await rerun(first.id, { from_step: "test" })).statusCode).toBe(409);
    await t.service.database.db
      .updateTable("runs")
      .set({ status: "succeeded" })
      .where("id", "=", first.id)
      .execute();
  });
});
