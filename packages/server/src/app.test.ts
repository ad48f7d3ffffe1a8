// biome-ignore-all lint/suspicious/noTemplateCurlyInString: workflows in these tests are full of ${{ }}.
import path from "node:path";
import type { ServiceContext, Worker } from "@gantry/engine";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestApp, startTestWorker, type TestApp } from "./testing/test-app.js";

const WORKFLOWS: Record<string, string> = {
  "greet.yaml": `
name: greet
description: Greets
inputs:
  who: {type: string, required: true, description: Whom}
  times: {type: integer, default: 1, minimum: 1, maximum: 3}
  token: {type: secret}
steps:
  hello:
    env: {WHO: "\${{ inputs.who }}", TOKEN: "\${{ inputs.token }}"}
    run: |
      echo "hello $WHO x\${{ inputs.times }}"
      echo "msg=hello $WHO" >> "$GANTRY_OUTPUT"
      echo "tok=$TOKEN" >> "$GANTRY_OUTPUT"
outputs:
  msg: \${{ steps.hello.outputs.msg }}
`,
  "flaky.yaml": `
name: flaky
steps:
  first:
    run: echo "ran=1" >> "$GANTRY_OUTPUT"
  second:
    needs: first
    run: '[ -f "$MARK" ] || { touch "$MARK"; exit 1; }'
    env: {MARK: "${"${{ inputs.mark }}"}"}
inputs:
  mark: {type: string, required: true}
`,
  "slow.yaml": `
name: slow
steps:
  wait:
    run: sleep 30
`,
};

describe("REST API", () => {
  let dir: string;
  let service: ServiceContext;
  let app: FastifyInstance;
  let worker: Worker;
  let stack: TestApp;

  beforeAll(async () => {
    stack = await openTestApp("gantry-api-", WORKFLOWS);
    ({ dir, service, app } = stack);
    worker = await startTestWorker(service, dir);
  });

  afterAll(async () => {
    await worker.stop();
    await stack.close();
  });

  async function waitForRun(id: string, done = (s: string) => !["pending", "queued", "running"].includes(s)) {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const run = (await app.inject({ url: `/api/v1/runs/${id}` })).json();
      if (done(run.status)) return run;
      if (Date.now() > deadline) throw new Error(`run ${id} still ${run.status}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it("lists workflows with their input schemas", async () => {
    const res = await app.inject({ url: "/api/v1/workflows" });
    expect(res.statusCode).toBe(200);
    const greet = res.json().workflows.find((w: { name: string }) => w.name === "greet");
    expect(greet.input_schema.properties.who).toEqual({ type: "string", description: "Whom" });
    expect(greet.input_schema.properties.token).toMatchObject({ type: "string", writeOnly: true });
    expect(greet.input_schema.required).toEqual(["who"]);
    expect(greet.steps).toEqual([{ id: "hello", name: "hello", needs: [] }]);
    expect((await app.inject({ url: "/api/v1/workflows/greet" })).json().description).toBe("Greets");
    expect((await app.inject({ url: "/api/v1/workflows/nope" })).statusCode).toBe(404);
  });

  it("starts a run, coerces its inputs, and shows it without secrets", async () => {
    const res = await app.inject({
      method: "POST",
      url: "/api/v1/workflows/greet/runs",
      payload: { inputs: { who: "Ada", times: "2", token: "s3cr3t-value" } },
    });
    expect(res.statusCode).toBe(201);
    const run = await waitForRun(res.json().id);
    expect(run.status).toBe("succeeded");
    expect(run.inputs).toEqual({ who: "Ada", times: 2 });
    expect(run.outputs).toEqual({ msg: "hello Ada" });
    expect(run.steps.hello).toMatchObject({
      status: "succeeded",
      result: "success",
      attempts: 1,
      exit_code: 0,
    });
    // A step output carrying a secret is masked before it is stored.
    expect(run.steps.hello.outputs.tok).toBe("***");
    expect(JSON.stringify(run)).not.toContain("s3cr3t-value");
    const raw = await service.database.db
      .selectFrom("runs")
      .selectAll()
      .where("id", "=", run.id)
      .executeTakeFirstOrThrow();
    expect(JSON.stringify(raw)).not.toContain("s3cr3t-value");
    expect(run.trigger).toEqual({ type: "api", user: "local", actor: "local" });
    expect(Date.parse(run.finished_at)).toBeGreaterThanOrEqual(Date.parse(run.started_at));
  });

  it("records a run started from the web UI as trigger ui, with who started it", async () => {
    const res = await app.inject({
      method: "POST",
      url: "/api/v1/workflows/greet/runs",
      headers: { "x-gantry-client": "ui" },
      payload: { inputs: { who: "Ada", times: "1", token: "x" } },
    });
    expect(res.statusCode).toBe(201);
    const run = (await app.inject({ url: `/api/v1/runs/${res.json().id}` })).json();
    expect(run.trigger).toEqual({ type: "ui", user: "local", actor: "local" });
  });

  it("answers 400 naming the failing field, and 404 for an unknown workflow", async () => {
    const bad = await app.inject({
      method: "POST",
      url: "/api/v1/workflows/greet/runs",
      payload: { inputs: { times: 9, colour: "red" } },
    });
    expect(bad.statusCode).toBe(400);
    const fields = bad
      .json()
      .errors.map((e: { field: string }) => e.field)
      .sort();
    expect(fields).toEqual(["colour", "times", "who"]);
    const wrongBody = await app.inject({
      method: "POST",
      url: "/api/v1/workflows/greet/runs",
      payload: { input: {} },
    });
    expect(wrongBody.statusCode).toBe(400);
    expect(wrongBody.json().errors[0].field).toBe("input");
    const missing = await app.inject({ method: "POST", url: "/api/v1/workflows/nope/runs", payload: {} });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error).toBe("unknown workflow 'nope'");
  });

  it("pages runs newest first with a cursor and filters them", async () => {
    for (let i = 0; i < 3; i++) {
      await app.inject({
        method: "POST",
        url: "/api/v1/workflows/greet/runs",
        payload: { inputs: { who: `p${i}` } },
      });
    }
    const first = (await app.inject({ url: "/api/v1/runs?workflow=greet&limit=2" })).json();
    expect(first.runs).toHaveLength(2);
    expect(first.next_cursor).toEqual(expect.any(String));
    const second = (
      await app.inject({ url: `/api/v1/runs?workflow=greet&limit=2&cursor=${first.next_cursor}` })
    ).json();
    const ids = [...first.runs, ...second.runs].map((r: { id: string }) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    const all = (await app.inject({ url: "/api/v1/runs?workflow=greet&limit=100" })).json().runs;
    expect(ids).toEqual(all.slice(0, ids.length).map((r: { id: string }) => r.id));
    const times = all.map((r: { created_at: string }) => Date.parse(r.created_at));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    expect((await app.inject({ url: "/api/v1/runs?status=nonsense" })).json().runs).toEqual([]);
    expect((await app.inject({ url: "/api/v1/runs?limit=0" })).statusCode).toBe(400);
    expect((await app.inject({ url: "/api/v1/runs?cursor=garbage" })).statusCode).toBe(400);
  });

  it("cancels a running run within 5 seconds", async () => {
    const { id } = (
      await app.inject({ method: "POST", url: "/api/v1/workflows/slow/runs", payload: {} })
    ).json();
    await waitForRun(id, (s) => s === "running");
    const started = Date.now();
    const res = await app.inject({ method: "POST", url: `/api/v1/runs/${id}/cancel` });
    expect(res.statusCode).toBe(202);
    const run = await waitForRun(id);
    expect(run.status).toBe("cancelled");
    expect(Date.now() - started).toBeLessThan(5000);
    expect(run.steps.wait.status).toBe("cancelled");
  });

  it("re-runs a whole run, or only from its failed steps", async () => {
    const mark = path.join(dir, "mark");
    const { id } = (
      await app.inject({ method: "POST", url: "/api/v1/workflows/flaky/runs", payload: { inputs: { mark } } })
    ).json();
    const failed = await waitForRun(id);
    expect(failed.status).toBe("failed");
    const again = await app.inject({
      method: "POST",
      url: `/api/v1/runs/${id}/rerun`,
      payload: { from_failed: true },
    });
    expect(again.statusCode).toBe(201);
    const rerun = await waitForRun(again.json().id);
    expect(rerun.status).toBe("succeeded");
    expect(rerun.parent_run_id).toBe(id);
    expect(rerun.trigger).toEqual({ type: "api", user: "local", actor: "local", rerun_of: id });
    expect(rerun.attempt).toBe(2);
    expect(rerun.inputs).toEqual({ mark });
    const attempts = await service.database.db
      .selectFrom("step_attempts")
      .select(["step"])
      .where("run_id", "=", rerun.id)
      .execute();
    // `first` succeeded before: only `second` ran again.
    expect(attempts.map((a) => a.step)).toEqual(["second"]);
    const whole = (await app.inject({ method: "POST", url: `/api/v1/runs/${id}/rerun` })).json();
    expect((await waitForRun(whole.id)).steps.first.status).toBe("succeeded");
  });

  it("serves health, readiness, metrics and the OpenAPI document", async () => {
    expect((await app.inject({ url: "/healthz" })).json().status).toBe("ok");
    expect((await app.inject({ url: "/readyz" })).json().status).toBe("ready");
    const metrics = (await app.inject({ url: "/metrics" })).body;
    expect(metrics).toMatch(/^gantry_runs\{status="succeeded"\} \d+$/m);
    expect(metrics).toMatch(/^gantry_queue_depth \d+$/m);
    const doc = (await app.inject({ url: "/api/v1/openapi.json" })).json();
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths).sort()).toEqual([
      "/api/v1/agent/alive",
      "/api/v1/agent/cancel-requested",
      "/api/v1/agent/claim",
      "/api/v1/agent/held",
      "/api/v1/agent/jobs/{id}/bundles/{hash}",
      "/api/v1/agent/jobs/{id}/finish",
      "/api/v1/agent/jobs/{id}/logs",
      "/api/v1/agent/jobs/{id}/release",
      "/api/v1/agent/jobs/{id}/secrets",
      "/api/v1/agent/jobs/{id}/start",
      "/api/v1/agent/jobs/{id}/sub-workflow",
      "/api/v1/agent/jobs/{id}/summary",
      "/api/v1/agent/next-due",
      "/api/v1/agent/register",
      "/api/v1/agent/renew",
      "/api/v1/agent/wait",
      "/api/v1/agent/whoami",
      "/api/v1/approvals",
      "/api/v1/audit",
      "/api/v1/dashboard",
      "/api/v1/deployments",
      "/api/v1/environments",
      "/api/v1/hooks/{workflow}/{name}",
      "/api/v1/import",
      "/api/v1/import/features",
      "/api/v1/keys",
      "/api/v1/keys/{id}",
      "/api/v1/nodes",
      "/api/v1/runs",
      "/api/v1/runs/{id}",
      "/api/v1/runs/{id}/approvals/{step}",
      "/api/v1/runs/{id}/artifacts",
      "/api/v1/runs/{id}/artifacts/{name}",
      "/api/v1/runs/{id}/cancel",
      "/api/v1/runs/{id}/children",
      "/api/v1/runs/{id}/logs",
      "/api/v1/runs/{id}/notifications",
      "/api/v1/runs/{id}/rerun",
      "/api/v1/schedules",
      "/api/v1/schedules/{id}",
      "/api/v1/schedules/{id}/fire",
      "/api/v1/schedules/{id}/fires",
      "/api/v1/schedules/{id}/resume",
      "/api/v1/schedules/{id}/suspend",
      "/api/v1/sources",
      "/api/v1/sources/{name}",
      "/api/v1/sources/{name}/sync",
      "/api/v1/triggers",
      "/api/v1/triggers/{id}",
      "/api/v1/webhooks/github",
      "/api/v1/workers",
      "/api/v1/workflows",
      "/api/v1/workflows/{name}",
      "/api/v1/workflows/{name}/inputs/{input}/options",
      "/api/v1/workflows/{name}/runs",
      "/auth/callback",
      "/auth/key",
      "/auth/login",
      "/auth/logout",
      "/auth/me",
      "/badge/{file}",
    ]);
  });
});
