// biome-ignore-all lint/suspicious/noTemplateCurlyInString: workflows in these tests are full of ${{ }}.
import { readFileSync } from "node:fs";
import path from "node:path";
import type { Worker } from "@gantry/engine";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestApp, startTestWorker, type TestApp } from "../testing/test-app.js";

const WORKFLOWS: Record<string, string> = {
  "deploy-one.yaml": `
name: deploy-one
inputs:
  service: {type: string, required: true}
  fail: {type: boolean, default: false}
  out: {type: string, required: true}
secrets:
  token: ref+env://GANTRY_TEST_SUB_OWN
steps:
  deploy:
    env: {SERVICE: "\${{ inputs.service }}", FAIL: "\${{ inputs.fail }}", OUT: "\${{ inputs.out }}", TOKEN: "\${{ secrets.token }}"}
    run: |
      echo "token=[$TOKEN]" >> "$OUT"
      [ "$FAIL" = "true" ] && exit 3
      echo "image=registry/$SERVICE:1" >> "$GANTRY_OUTPUT"
outputs:
  image: \${{ steps.deploy.outputs.image }}
`,
  "release.yaml": `
name: release
inputs:
  fail: {type: boolean, default: false}
  out: {type: string, required: true}
  pass_secret: {type: boolean, default: false}
secrets:
  token: ref+env://GANTRY_TEST_SUB_TOKEN
steps:
  api:
    uses: workflow:deploy-one
    with: {service: api, fail: "\${{ inputs.fail }}", out: "\${{ inputs.out }}"}
    secrets: {token: "\${{ secrets.token }}"}
  web:
    uses: workflow:deploy-one
    with: {service: web, out: "\${{ inputs.out }}"}
  announce:
    needs: [api, web]
    env: {OUT: "\${{ inputs.out }}", IMAGES: "\${{ steps.api.outputs.image }} \${{ steps.web.outputs.image }}"}
    run: echo "announce $IMAGES" >> "$OUT"
outputs:
  api_image: \${{ steps.api.outputs.image }}
`,
  "slow-child.yaml": `
name: slow-child
steps:
  wait: {run: sleep 30}
`,
  "waits.yaml": `
name: waits
steps:
  child: {uses: "workflow:slow-child"}
`,
  // A chain twelve deep: level-0 calls level-1 … calls level-11.
  ...Object.fromEntries(
    Array.from({ length: 12 }, (_, i) => [
      `level-${i}.yaml`,
      i < 11
        ? `name: level-${i}\nsteps:\n  again: {uses: "workflow:level-${i + 1}"}\n`
        : `name: level-${i}\nsteps:\n  a: {run: "true"}\n`,
    ]),
  ),
};

describe("sub-workflows (uses: workflow:<name>)", () => {
  let t: TestApp;
  let worker: Worker;

  beforeAll(async () => {
    process.env.GANTRY_TEST_SUB_TOKEN = "s3cret-token";
    process.env.GANTRY_TEST_SUB_OWN = "its-own";
    t = await openTestApp("gantry-sub-", WORKFLOWS);
    // One slot: a parent that held its slot while its children run would never finish.
    worker = await startTestWorker(t.service, t.dir, { concurrency: 1 });
  });
  afterAll(async () => {
    await worker?.stop();
    await t?.close();
    delete process.env.GANTRY_TEST_SUB_TOKEN;
    delete process.env.GANTRY_TEST_SUB_OWN;
  });

  async function waitForRun(id: string, statuses = ["succeeded", "failed", "cancelled", "timed_out"]) {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const run = (await t.app.inject({ url: `/api/v1/runs/${id}` })).json();
      if (statuses.includes(run.status)) return run;
      if (Date.now() > deadline) throw new Error(`run ${id} still ${run.status}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const start = async (workflow: string, inputs: object = {}) =>
    (
      await t.app.inject({ method: "POST", url: `/api/v1/workflows/${workflow}/runs`, payload: { inputs } })
    ).json().id as string;
  const children = (id: string) =>
    t.service.database.db
      .selectFrom("runs")
      .select(["id", "workflow", "status", "trigger_json", "error"])
      .where("parent_run_id", "=", id)
      .orderBy("created_at")
      .execute();

  it("runs each child as a linked run on one worker slot; its outputs become the step's outputs", async () => {
    const out = path.join(t.dir, "release-ok");
    const run = await waitForRun(await start("release", { out }));
    expect(run.status).toBe("succeeded");
    expect(run.outputs).toEqual({ api_image: "registry/api:1" });
    expect(run.steps.api.outputs).toEqual({ image: "registry/api:1" });
    const kids = await children(run.id);
    expect(kids.map((k) => [k.workflow, k.status]).sort()).toEqual([
      ["deploy-one", "succeeded"],
      ["deploy-one", "succeeded"],
    ]);
    expect(JSON.parse(kids[0]?.trigger_json ?? "{}")).toMatchObject({
      type: "workflow_call",
      parent_run: run.id,
      depth: 1,
    });
    const lines = readFileSync(out, "utf8").trim().split("\n");
    expect(lines.at(-1)).toBe("announce registry/api:1 registry/web:1");
    // Secrets only when listed: api was given the token, web was not.
    expect(lines.filter((l) => l.startsWith("token=")).sort()).toEqual([
      "token=[its-own]",
      "token=[s3cret-token]",
    ]);
  });

  it("lists a run's children with their graphs and statuses, for the run page's graph", async () => {
    const run = await waitForRun(await start("release", { out: path.join(t.dir, "release-graph") }));
    const reply = await t.app.inject({ url: `/api/v1/runs/${run.id}/children` });
    expect(reply.statusCode).toBe(200);
    const { children: listed } = reply.json();
    expect(listed.map((c: { step: string }) => c.step).sort()).toEqual(["api", "web"]);
    expect(listed[0]).toMatchObject({
      workflow: "deploy-one",
      status: "succeeded",
      index: 0,
      attempt: 1,
      steps: [{ id: "deploy", name: "deploy", needs: [], status: "succeeded" }],
    });
    expect((await t.app.inject({ url: "/api/v1/runs/nope/children" })).statusCode).toBe(404);
  });

  it("fails the step when its child fails, naming the child run", async () => {
    const run = await waitForRun(
      await start("release", { out: path.join(t.dir, "release-fail"), fail: true }),
    );
    expect(run.status).toBe("failed");
    expect(run.steps.api.status).toBe("failed");
    expect(run.steps.api.error).toMatch(/^sub-workflow run [0-9a-f-]+ failed \(step deploy\)/);
    expect(run.steps.announce.status).toBe("skipped");
  });

  it("cancels the child with its parent, and the parent with its child", async () => {
    const parent = await start("waits");
    const deadline = Date.now() + 30_000;
    while ((await children(parent)).length === 0 || (await children(parent))[0]?.status !== "running") {
      if (Date.now() > deadline) throw new Error("the child never started");
      await new Promise((r) => setTimeout(r, 50));
    }
    await t.app.inject({ method: "POST", url: `/api/v1/runs/${parent}/cancel` });
    expect((await waitForRun(parent)).status).toBe("cancelled");
    expect((await children(parent))[0]?.status).toBe("cancelled");
    // The child says why it was cancelled.
    expect((await children(parent))[0]?.error).toBe(`cancelled: its parent run ${parent} was cancelled`);

    const other = await start("waits");
    let child: string | undefined;
    while (!child) {
      child = (await children(other))[0]?.id;
      if (Date.now() > deadline + 30_000) throw new Error("no child");
      await new Promise((r) => setTimeout(r, 50));
    }
    await t.app.inject({ method: "POST", url: `/api/v1/runs/${child}/cancel` });
    const ended = await waitForRun(other);
    expect(ended.status).toBe("cancelled");
    expect(ended.steps.child.status).toBe("cancelled");
  });

  it("stops nesting at the depth limit, with a clear error", async () => {
    const run = await waitForRun(await start("level-0"));
    expect(run.status).toBe("failed");
    let deepest = run;
    for (let depth = 0; depth < 10; depth++) {
      const [kid] = await children(deepest.id);
      if (!kid) break;
      deepest = await waitForRun(kid.id);
    }
    expect(deepest.steps.again.error).toMatch(/not started: runs nest at most 10 deep \(this would be 11\)/);
  });
});
