import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import type {
  KyselyPlugin,
  PluginTransformQueryArgs,
  PluginTransformResultArgs,
  QueryResult,
  UnknownRow,
} from "kysely";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { LocalWorkers } from "../queue/local-workers.js";
import { LocalRunner } from "../runners/local/local-runner.js";
import { RunnerRouter } from "../runners/router.js";
import { startRun } from "../service/create-run.js";
import { reapExpiredJobs } from "../service/reaper.js";
import { registerFolder } from "../service/register-folder.js";
import type { Database } from "../store/database.js";
import { decodeRunState } from "../store/decode/index.js";
import { claimJob } from "../store/queries/claim-job.js";
import { expiredJobs } from "../store/queries/expired-jobs.js";
import { getRun } from "../store/queries/get-run.js";
import { runJobs } from "../store/queries/run-jobs.js";
import { cancelRunInUnit, createRunInUnit, finishTaskInUnit } from "../testing/operations.js";
import { type Harness, openHarness, runView } from "../testing/service-harness.js";
import { waitFor } from "../testing/wait-for.js";

/** Each step that waits does so on a gate file, for at most 30 s, so a test decides when it ends. */
const waitGate = (gate: string) =>
  `for i in $(seq 600); do [ -f "${gate}" ] && break; sleep 0.05; done; [ -f "${gate}" ]`;

function workflows(dir: string): Record<string, string> {
  const file = (name: string) => path.join(dir, name);
  return {
    "greet.yaml": `
name: greet
inputs:
  who: { type: string, required: true }
  times: { type: integer, default: 1 }
steps:
  hello:
    env: { WHO: "\${{ inputs.who }}" }
    run: echo "greeting=hello $WHO x\${{ inputs.times }}" >> "$GANTRY_OUTPUT"
  shout:
    needs: hello
    run: echo "loud=$(echo '\${{ steps.hello.outputs.greeting }}' | tr a-z A-Z)" >> "$GANTRY_OUTPUT"
outputs:
  greeting: \${{ steps.hello.outputs.greeting }}
  loud: \${{ steps.shout.outputs.loud }}
`,
    "labels.yaml": `
name: labels
steps:
  anywhere:
    run: echo "ok=1" >> "$GANTRY_OUTPUT"
  on-gpu:
    needs: anywhere
    runner: { labels: [gpu] }
    run: echo "ok=1" >> "$GANTRY_OUTPUT"
`,
    "runner-types.yaml": `
name: runner-types
defaults:
  runner: { type: docker, image: localhost/busybox:latest }
steps:
  boxed:
    run: echo "where=docker" >> "$GANTRY_OUTPUT"
  here:
    runner: { type: local }
    run: echo "where=local" >> "$GANTRY_OUTPUT"
`,
    "retry.yaml": `
name: retry
steps:
  flaky:
    retry: { attempts: 3, delay: 300ms }
    run: |
      echo "attempt=$GANTRY_ATTEMPT" >> "$GANTRY_OUTPUT"
      [ "$GANTRY_ATTEMPT" -ge 2 ]
  hopeless:
    retry: { attempts: 2 }
    run: exit 4
    continue_on_error: true
outputs:
  attempt: \${{ steps.flaky.outputs.attempt }}
`,
    "cancel.yaml": `
name: cancel
steps:
  long:
    run: |
      touch "${file("cancel-started")}"
      sleep 30
  after:
    needs: long
    run: touch "${file("cancel-after-ran")}"
  cleanup:
    needs: long
    if: \${{ always() }}
    run: |
      sleep 1
      echo "cleaned=\${{ steps.long.result }}" >> "$GANTRY_OUTPUT"
`,
    ...Object.fromEntries(
      (["queue", "skip", "cancel-running"] as const).map((policy) => [
        `conc-${policy}.yaml`,
        `
name: conc-${policy}
inputs:
  key: { type: string, default: a }
concurrency: { group: "${policy}-\${{ inputs.key }}", policy: ${policy} }
steps:
  wait:
    run: |
      echo "$GANTRY_RUN_ID" >> "${file(`${policy}-order`)}"
      ${waitGate(file(`${policy}-gate`))}
`,
      ]),
    ),
    "conc-skip-all.yaml": `
name: conc-skip-all
inputs:
  key: { type: string, default: a }
concurrency: { group: "queue-\${{ inputs.key }}", policy: queue }
steps:
  never:
    if: false
    run: "true"
`,
    "reap.yaml": `
name: reap
steps:
  only:
    retry: { attempts: 2 }
    run: echo "attempt=$GANTRY_ATTEMPT" >> "$GANTRY_OUTPUT"
outputs:
  attempt: \${{ steps.only.outputs.attempt }}
`,
    "reap-once.yaml": `
name: reap-once
steps:
  only:
    worker_lost: { retries: 0 }
    run: echo "never claimed by a real worker"
`,
    "lease-cut.yaml": `
name: lease-cut
steps:
  held:
    run: |
      echo "$GANTRY_ATTEMPT $$" >> "${file("lease-cut-starts")}"
      ${waitGate(file("lease-cut-gate"))}
      echo "attempt=$GANTRY_ATTEMPT" >> "$GANTRY_OUTPUT"
outputs:
  attempt: \${{ steps.held.outputs.attempt }}
`,
    "handback.yaml": `
name: handback
steps:
  slow:
    run: |
      echo "$GANTRY_ATTEMPT" >> "${file("handback-starts")}"
      ${waitGate(file("handback-gate"))}
      echo "attempt=$GANTRY_ATTEMPT" >> "$GANTRY_OUTPUT"
outputs:
  attempt: \${{ steps.slow.outputs.attempt }}
`,
    "rerun.yaml": `
name: rerun
steps:
  first:
    run: |
      echo x >> "${file("rerun-first")}"
      echo "v=one" >> "$GANTRY_OUTPUT"
  second:
    needs: first
    run: |
      [ -f "${file("rerun-ok")}" ]
      echo "got=\${{ steps.first.outputs.v }}" >> "$GANTRY_OUTPUT"
outputs:
  got: \${{ steps.second.outputs.got }}
`,
    "trivial.yaml": `
name: trivial
steps:
  only:
    run: echo "done=yes" >> "$GANTRY_OUTPUT"
`,
  };
}

const lines = (file: string) =>
  existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean) : [];

/**
 * Delays the result of every claim by `ms`: the claim has already looked at the queue, so a run queued in
 * that window is one that only its notification can announce. (On SQLite the claim holds the one
 * connection meanwhile, so the run is queued after it and the test passes either way; on PostgreSQL it
 * is queued through another connection of the pool, while the claim is in flight.)
 */
function slowClaims(ms: number): KyselyPlugin {
  const claims = new WeakSet<object>();
  return {
    transformQuery(args: PluginTransformQueryArgs) {
      // The claim is the UPDATE of jobs that sets worker_id (heartbeats and hand-backs set other columns).
      const node = args.node;
      if (node.kind === "UpdateQueryNode" && JSON.stringify(node.updates ?? []).includes('"worker_id"'))
        claims.add(args.queryId);
      return args.node;
    },
    async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
      if (claims.has(args.queryId)) await new Promise((resolve) => setTimeout(resolve, ms));
      return args.result;
    },
  };
}

/** Loses the answer of the first claim: the claim commits, and the worker hears only an error. */
function lostClaimAnswer(): KyselyPlugin {
  const claims = new WeakSet<object>();
  let lost = false;
  return {
    transformQuery(args: PluginTransformQueryArgs) {
      const node = args.node;
      if (node.kind === "UpdateQueryNode" && JSON.stringify(node.updates ?? []).includes('"worker_id"'))
        claims.add(args.queryId);
      return args.node;
    },
    async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
      if (claims.has(args.queryId) && args.result.rows.length > 0 && !lost) {
        lost = true;
        throw new Error("Connection terminated unexpectedly (the answer is lost, the claim committed)");
      }
      return args.result;
    },
  };
}

/** Records the run of every job a claim statement took. */
function claimedRuns(): { plugin: KyselyPlugin; runs: string[] } {
  const claims = new WeakSet<object>();
  const runs: string[] = [];
  const plugin: KyselyPlugin = {
    transformQuery(args: PluginTransformQueryArgs) {
      const node = args.node;
      if (node.kind === "UpdateQueryNode" && JSON.stringify(node.updates ?? []).includes('"worker_id"'))
        claims.add(args.queryId);
      return args.node;
    },
    async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
      if (claims.has(args.queryId)) for (const row of args.result.rows) runs.push(String(row.run_id));
      return args.result;
    },
  };
  return { plugin, runs };
}

/** A database connection that can be cut: every statement fails while `cut` is set. */
function cuttable(): { plugin: KyselyPlugin; cut: boolean } {
  const state = {
    cut: false,
    plugin: {
      transformQuery(args: PluginTransformQueryArgs) {
        if (state.cut) throw new Error("connection refused (cut off by the test)");
        return args.node;
      },
      async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
        return args.result;
      },
    } satisfies KyselyPlugin,
  };
  return state;
}

/** True once a process is gone or a zombie. */
function processEnded(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
  } catch {
    return true;
  }
}

/** Runs through workers, on each store: `worker.test.ts` (SQLite), `worker.services.test.ts` (PostgreSQL). */
export function describeWorker(name: string, open: () => Promise<Database>): void {
  describe(`worker on ${name}`, () => {
    let h: Harness;
    let dir: string;
    const file = (name: string) => path.join(dir, name);
    /**
     * The service as another process sees it (a server with no worker of its own): the runs it creates
     * reach workers through the queue, a wake-up and a claim.
     */
    const elsewhere = () => ({ ...h.ctx, localWorkers: new LocalWorkers() });

    beforeAll(async () => {
      h = await openHarness(await open());
      dir = path.join(h.tmp.dir, "files");
      for (const [name, text] of Object.entries(workflows(dir))) h.tmp.write(`wf/${name}`, text);
      h.tmp.write("files/.keep", "");
      const { registered, problems } = await registerFolder(h.ctx, path.join(h.tmp.dir, "wf"));
      expect(problems).toEqual([]);
      expect(registered).toHaveLength(Object.keys(workflows(dir)).length);
    });
    afterAll(async () => {
      await h?.close();
    });
    afterEach(async () => {
      await h.stopWorkers();
      await h.reset();
    });

    it("runs a run to succeeded with its outputs, recording each attempt", async () => {
      const worker = await h.worker();
      const { id } = await createRunInUnit(h.ctx, { workflow: "greet", inputs: { who: "ada", times: 2 } });
      const row = await h.waitForRun(id, ["succeeded", "failed"]);
      expect(runView(row).outputs).toEqual({ greeting: "hello ada x2", loud: "HELLO ADA X2" });
      expect(row.status).toBe("succeeded");
      expect(row.started_at).toBeGreaterThanOrEqual(row.created_at);
      expect(row.finished_at).toBeGreaterThanOrEqual(row.started_at!);
      const attempts = await h.attempts(id);
      expect(attempts.map((a) => [a.step, a.attempt, a.status, a.exit_code, a.worker_id])).toEqual([
        ["hello", 1, "succeeded", 0, worker.id],
        ["shout", 1, "succeeded", 0, worker.id],
      ]);
      expect(await runJobs(h.database.db, id)).toEqual([]);
      expect(h.errors).toEqual([]);
    });

    it("runs a labelled step only on a worker with the labels", async () => {
      await h.worker({ labels: ["linux"] });
      const { id } = await createRunInUnit(h.ctx, { workflow: "labels" });
      await waitFor(async () => (await h.attempts(id, "anywhere"))[0]?.status === "succeeded", {
        what: "the unlabelled step",
      });
      const [waiting] = await runJobs(h.database.db, id);
      expect(waiting).toMatchObject({
        step: "on-gpu",
        status: "queued",
        labels_json: '["gpu","runner:local"]',
      });
      const gpu = await h.worker({ labels: ["gpu", "linux"] });
      const row = await h.waitForRun(id, ["succeeded", "failed"]);
      expect(row.status).toBe("succeeded");
      expect((await h.attempts(id, "on-gpu"))[0]?.worker_id).toBe(gpu.id);
    });

    it("runs a step's successor on the worker that finished it, without a trip through the queue", async () => {
      const workers = [await h.worker(), await h.worker()];
      const ids = await Promise.all(
        [1, 2, 3, 4, 5].map(
          async (n) => (await createRunInUnit(h.ctx, { workflow: "greet", inputs: { who: `w${n}` } })).id,
        ),
      );
      for (const id of ids) {
        expect((await h.waitForRun(id, ["succeeded", "failed"])).status).toBe("succeeded");
        const [hello, shout] = await h.attempts(id);
        // Taken in finishTask, in the transaction that recorded hello: never queued for the other worker.
        expect(shout?.worker_id).toBe(hello?.worker_id);
      }
      expect(workers.map((w) => w.state)).toEqual(["running", "running"]);
      expect(h.errors).toEqual([]);
    });

    it("starts a new run's first step on the worker of the process creating it, in the run's own write", async () => {
      const claims = claimedRuns();
      const worker = await h.worker({
        database: { ...h.database, db: h.database.db.withPlugin(claims.plugin) },
      });
      // Through the API's path (one write of its own), and in a caller's unit of work (a trigger's event).
      const api = await startRun(h.ctx, { workflow: "greet", inputs: { who: "ada" } });
      const unit = await createRunInUnit(h.ctx, { workflow: "trivial" });
      for (const id of [api.id, unit.id]) {
        const row = await h.waitForRun(id, ["succeeded", "failed"]);
        expect(row.status).toBe("succeeded");
        // Started as it was created: no claim statement ever took one of its jobs.
        expect(row.started_at).toBe(row.created_at);
        expect((await h.attempts(id)).every((a) => a.worker_id === worker.id)).toBe(true);
      }
      expect(claims.runs.filter((id) => id === api.id || id === unit.id)).toEqual([]);
      expect(runView((await getRun(h.database.db, api.id))!).outputs).toEqual({
        greeting: "hello ada x1",
        loud: "HELLO ADA X1",
      });
      expect(h.errors).toEqual([]);
    });

    it("leaves a new run's first step queued when the worker of the creating process is full", async () => {
      const claims = claimedRuns();
      const worker = await h.worker({
        concurrency: 1,
        database: { ...h.database, db: h.database.db.withPlugin(claims.plugin) },
      });
      const busy = await createRunInUnit(h.ctx, { workflow: "handback" });
      await waitFor(() => lines(file("handback-starts")).length === 1, { what: "the slow step to start" });
      const { id } = await startRun(h.ctx, { workflow: "trivial" });
      expect(await runJobs(h.database.db, id)).toMatchObject([
        { step: "only", status: "queued", worker_id: null, lease_until: null },
      ]);
      const queued = await getRun(h.database.db, id);
      expect([queued?.status, queued?.started_at]).toEqual(["queued", null]);
      expect(await h.attempts(id)).toEqual([]);
      writeFileSync(file("handback-gate"), "");
      for (const run of [busy.id, id])
        expect((await h.waitForRun(run, ["succeeded", "failed"])).status).toBe("succeeded");
      // Claimed by the same worker once its slot was free.
      expect(claims.runs).toContain(id);
      expect((await h.attempts(id))[0]?.worker_id).toBe(worker.id);
      rmSync(file("handback-starts"), { force: true });
      rmSync(file("handback-gate"), { force: true });
    });

    it("sends a step only to a worker offering its runner type", async () => {
      await h.worker();
      const { id } = await createRunInUnit(h.ctx, { workflow: "runner-types" });
      await waitFor(async () => (await h.attempts(id, "here"))[0]?.status === "succeeded", {
        what: "the local step",
      });
      const [waiting] = await runJobs(h.database.db, id);
      expect(waiting).toMatchObject({ step: "boxed", status: "queued", labels_json: '["runner:docker"]' });
      // A stand-in for the docker runner (the real one is tested against Podman in runners/docker):
      // what is checked here is the routing, by the types a worker declares.
      const local = new LocalRunner({ tmpRoot: h.tmp.dir, killGraceMs: 500 });
      const docker = await h.worker({ runner: new RunnerRouter({ docker: local }) });
      const row = await h.waitForRun(id, ["succeeded", "failed"]);
      expect(row.status).toBe("succeeded");
      expect((await h.attempts(id, "boxed"))[0]?.worker_id).toBe(docker.id);
      const registered = await h.database.db
        .selectFrom("workers")
        .select("labels_json")
        .where("id", "=", docker.id)
        .executeTakeFirstOrThrow();
      expect(JSON.parse(registered.labels_json)).toEqual(["runner:docker"]);
    });

    it("asks its runner to remove what crashed workers left, judging them by their heartbeats", async () => {
      const now = Date.now();
      const register = (id: string, heartbeat: number) =>
        h.database.db
          .insertInto("workers")
          .values({
            id,
            labels_json: "[]",
            capacity: 1,
            hostname: "h",
            started_at: heartbeat,
            heartbeat_at: heartbeat,
          })
          .execute();
      await register("fresh", now);
      await register("stale", now - 3600_000);
      const asked = new Map<string, boolean>();
      const local = new LocalRunner({ tmpRoot: h.tmp.dir, killGraceMs: 500 });
      const worker = await h.worker({
        runner: {
          run: (task) => local.run(task),
          async removeOrphans(isAlive) {
            for (const id of ["fresh", "stale", "never-seen", "self"]) asked.set(id, await isAlive(id));
            return 0;
          },
        },
        id: "self",
      });
      await waitFor(() => asked.size === 4, { what: "the sweep at start" });
      expect(Object.fromEntries(asked)).toEqual({
        fresh: true,
        stale: false,
        "never-seen": false,
        self: true,
      });
      expect(worker.id).toBe("self");
    });

    it("runs a `uses: ./action` step from the bundle in the store, not from the original folder", async () => {
      h.tmp.write(
        "act/uses-action.yaml",
        `
name: uses-action
steps:
  shout:
    uses: ./actions/shout
    with: { word: hey }
outputs:
  loud: \${{ steps.shout.outputs.loud }}
  from: \${{ steps.shout.outputs.from }}
`,
      );
      h.tmp.write(
        "act/actions/shout/action.yaml",
        `
name: shout
inputs:
  word: { type: string, required: true }
outputs:
  loud: {}
  from: {}
runs:
  using: sh
  script: bin/shout.sh
`,
      );
      h.tmp.write(
        "act/actions/shout/bin/shout.sh",
        'echo "loud=$(printf %s "$INPUT_WORD" | tr a-z A-Z)" >> "$GANTRY_OUTPUT"\necho "from=$(cd "$(dirname "$0")/.." && pwd -P)" >> "$GANTRY_OUTPUT"\n',
      );
      const source = path.join(h.tmp.dir, "act");
      expect((await registerFolder(h.ctx, source)).registered).toEqual(["uses-action"]);
      rmSync(source, { recursive: true, force: true });

      const cacheDir = path.join(h.tmp.dir, "bundle-cache");
      await h.worker({ cacheDir });
      const { id } = await createRunInUnit(h.ctx, { workflow: "uses-action" });
      const row = await h.waitForRun(id, ["succeeded", "failed"]);
      expect(row.error).toBeNull();
      const outputs = runView(row).outputs!;
      expect(outputs.loud).toBe("HEY");
      expect(String(outputs.from).startsWith(cacheDir)).toBe(true);
      expect(existsSync(path.join(String(outputs.from), "action.yaml"))).toBe(true);
      expect(existsSync(source)).toBe(false);
    });

    it("retries a failing step after its delay, and fails a step whose attempts run out", async () => {
      // The poll is far longer than the retry delay: the worker must wake for the retry by itself.
      await h.worker({ pollMs: 60_000 });
      const { id } = await createRunInUnit(h.ctx, { workflow: "retry" });
      const row = await h.waitForRun(id, ["succeeded", "failed"], 8000);
      expect(row.status).toBe("succeeded");
      expect(runView(row).outputs).toEqual({ attempt: "2" });
      const attempts = await h.attempts(id);
      expect(attempts.map((a) => [a.step, a.attempt, a.status, a.exit_code])).toEqual([
        ["flaky", 1, "failed", 1],
        ["flaky", 2, "succeeded", 0],
        ["hopeless", 1, "failed", 4],
        ["hopeless", 2, "failed", 4],
      ]);
      const flaky = attempts.filter((a) => a.step === "flaky");
      // The retry waited for its delay (300 ms) and not much longer.
      expect(flaky[1]!.started_at! - flaky[0]!.finished_at!).toBeGreaterThanOrEqual(250);
      expect(flaky[1]!.started_at! - flaky[0]!.finished_at!).toBeLessThan(3000);
    });

    it("does not miss a run queued while it was looking at the queue", async () => {
      // The first claim is slow; the run is created during it, and its notification arrives before the
      // worker goes to sleep. With a 60 s poll, only that notification can start the run in time.
      const slow = { ...h.database, db: h.database.db.withPlugin(slowClaims(300)) };
      await h.worker({ database: slow, pollMs: 60_000 });
      const { id } = await createRunInUnit(elsewhere(), { workflow: "trivial" });
      const row = await h.waitForRun(id, ["succeeded", "failed"], 5000);
      expect(row.status).toBe("succeeded");
    });

    it("cancels a running step within 5 s, and still runs the always() clean-up step", async () => {
      // Heartbeats every 300 ms: the clean-up step (1 s) outlives several of them.
      await h.worker({ leaseMs: 900 });
      const { id } = await createRunInUnit(h.ctx, { workflow: "cancel" });
      await waitFor(() => existsSync(file("cancel-started")), { what: "the long step to start" });
      const cancelledAt = Date.now();
      expect((await cancelRunInUnit(h.ctx, id)).status).toBe("cancelling");
      const row = await h.waitForRun(id, ["cancelled", "failed", "succeeded"], 5000);
      expect(Date.now() - cancelledAt).toBeLessThan(5000);
      const view = runView(row);
      expect(view.status).toBe("cancelled");
      expect(view.state?.steps.long?.status).toBe("cancelled");
      expect(view.state?.steps.after?.status).toBe("cancelled");
      expect(view.state?.steps.cleanup?.status).toBe("succeeded");
      expect(view.state?.steps.cleanup?.outputs).toEqual({ cleaned: "cancelled" });
      expect(existsSync(file("cancel-after-ran"))).toBe(false);
      expect((await h.attempts(id, "long")).map((a) => a.status)).toEqual(["cancelled"]);
      // Cancelling again is a no-op that reports the final status.
      expect((await cancelRunInUnit(h.ctx, id)).status).toBe("cancelled");
    });

    it("concurrency queue: a second run waits as pending until the first ends, then runs", async () => {
      await h.worker();
      const first = await createRunInUnit(h.ctx, { workflow: "conc-queue" });
      await waitFor(() => lines(file("queue-order")).length === 1, { what: "the first run to start" });
      const second = await createRunInUnit(h.ctx, { workflow: "conc-queue" });
      expect(second.status).toBe("pending");
      // Another group (another key) is not held up.
      const other = await createRunInUnit(h.ctx, { workflow: "conc-queue", inputs: { key: "b" } });
      expect(other.status).toBe("queued");
      await waitFor(() => lines(file("queue-order")).length === 2, {
        what: "the other group's run to start",
      });
      expect((await getRun(h.database.db, second.id))?.status).toBe("pending");
      expect(await runJobs(h.database.db, second.id)).toEqual([]);

      writeFileSync(file("queue-gate"), "");
      for (const run of [first, other, second])
        expect((await h.waitForRun(run.id, ["succeeded", "failed", "cancelled"])).status).toBe("succeeded");
      expect(lines(file("queue-order"))).toEqual([first.id, other.id, second.id]);
    });

    it("concurrency skip: a second run is skipped while the first is active", async () => {
      await h.worker();
      const first = await createRunInUnit(h.ctx, { workflow: "conc-skip" });
      await waitFor(() => lines(file("skip-order")).length === 1, { what: "the first run to start" });
      const second = await createRunInUnit(h.ctx, { workflow: "conc-skip" });
      expect(second.status).toBe("skipped");
      const row = await getRun(h.database.db, second.id);
      expect(row).toMatchObject({ status: "skipped", concurrency_group: "skip-a" });
      expect(row?.error).toMatch(/skip-a/);
      expect(row?.finished_at).not.toBeNull();
      writeFileSync(file("skip-gate"), "");
      expect((await h.waitForRun(first.id, ["succeeded", "failed"])).status).toBe("succeeded");
      expect(lines(file("skip-order"))).toEqual([first.id]);
    });

    it("concurrency cancel-running: a second run cancels the first, whose step stops within 5 s", async () => {
      // The default 30 s lease: the heartbeat's cancel check comes too late, only a notification is in time.
      await h.worker({ leaseMs: 30_000 });
      const first = await createRunInUnit(h.ctx, { workflow: "conc-cancel-running" });
      await waitFor(() => lines(file("cancel-running-order")).length === 1, {
        what: "the first run to start",
      });
      const cancelledAt = Date.now();
      const second = await createRunInUnit(h.ctx, { workflow: "conc-cancel-running" });
      expect(second.status).toBe("queued");
      expect((await h.waitForRun(first.id, ["cancelled", "failed", "succeeded"], 5000)).status).toBe(
        "cancelled",
      );
      expect(Date.now() - cancelledAt).toBeLessThan(5000);
      await waitFor(() => lines(file("cancel-running-order")).length === 2, {
        what: "the second run to start",
      });
      writeFileSync(file("cancel-running-gate"), "");
      expect((await h.waitForRun(second.id, ["succeeded", "failed"])).status).toBe("succeeded");
    });

    it("concurrency queue: cancelling a run that never started lets the next one in its group start", async () => {
      // No worker yet: the first run stays queued, the second pending behind it.
      const first = await createRunInUnit(h.ctx, { workflow: "conc-queue", inputs: { key: "c" } });
      const second = await createRunInUnit(h.ctx, { workflow: "conc-queue", inputs: { key: "c" } });
      expect([first.status, second.status]).toEqual(["queued", "pending"]);
      expect((await cancelRunInUnit(h.ctx, first.id)).status).toBe("cancelled");
      expect((await getRun(h.database.db, second.id))?.status).toBe("queued");
      writeFileSync(file("queue-gate"), "");
      await h.worker();
      expect((await h.waitForRun(second.id, ["succeeded", "failed", "cancelled"])).status).toBe("succeeded");
      expect((await getRun(h.database.db, first.id))?.status).toBe("cancelled");
    });

    it("concurrency queue: a waiting run that ends as it starts frees the group for the next one", async () => {
      const first = await createRunInUnit(h.ctx, { workflow: "conc-queue", inputs: { key: "e" } });
      // Groups are global: another workflow waits in the same group, and every step of it is skipped.
      const instant = await createRunInUnit(h.ctx, { workflow: "conc-skip-all", inputs: { key: "e" } });
      const third = await createRunInUnit(h.ctx, { workflow: "conc-queue", inputs: { key: "e" } });
      expect([first.status, instant.status, third.status]).toEqual(["queued", "pending", "pending"]);
      await cancelRunInUnit(h.ctx, first.id);
      const ended = await getRun(h.database.db, instant.id);
      expect(ended).toMatchObject({ status: "succeeded" });
      expect(ended?.finished_at).not.toBeNull();
      expect((await getRun(h.database.db, third.id))?.status).toBe("queued");
    });

    it("reaps a job whose lease ran out as a failed attempt, and a second worker finishes the run", async () => {
      const { id } = await createRunInUnit(h.ctx, { workflow: "reap" });
      // A worker that claims and then vanishes: it never starts the task nor renews the lease.
      const now = Date.now();
      const lost = await claimJob(
        h.database.db,
        h.database.dialect,
        { id: "lost-worker", labels: ["runner:local"] },
        now,
        now + 200,
      );
      expect(lost?.run_id).toBe(id);
      await waitFor(async () => (await expiredJobs(h.database.db, Date.now())).length === 1, {
        what: "the lease to run out",
      });
      expect(await reapExpiredJobs(h.ctx)).toBe(1);
      expect(await reapExpiredJobs(h.ctx)).toBe(0);
      const [first] = await h.attempts(id);
      expect(first).toMatchObject({ attempt: 1, status: "failed", worker_id: "lost-worker" });
      expect(first?.error).toMatch(/^worker lost: lost-worker/);
      expect((await runJobs(h.database.db, id)).map((j) => [j.attempt, j.status])).toEqual([[2, "queued"]]);

      const worker = await h.worker();
      const row = await h.waitForRun(id, ["succeeded", "failed"]);
      expect(row.status).toBe("succeeded");
      expect(runView(row).outputs).toEqual({ attempt: "2" });
      expect((await h.attempts(id)).map((a) => [a.attempt, a.status, a.worker_id])).toEqual([
        [1, "failed", "lost-worker"],
        [2, "succeeded", worker.id],
      ]);
    });

    it("a worker cut off from the database stops its step before its lease ends; the new try runs after it, elsewhere", async () => {
      const link = cuttable();
      const cutOff = await h.worker({
        database: { ...h.database, db: h.database.db.withPlugin(link.plugin) },
        leaseMs: 3000,
      });
      const { id } = await createRunInUnit(h.ctx, { workflow: "lease-cut" });
      await waitFor(() => lines(file("lease-cut-starts")).length === 1, { what: "the step to start" });
      const firstPid = Number(lines(file("lease-cut-starts"))[0]?.split(" ")[1]);
      link.cut = true;
      // The reaper queues a new try only once the lease is over; by then the first try has ended.
      await waitFor(async () => (await reapExpiredJobs(h.ctx)) === 1, {
        what: "the reaper to find the lease over",
      });
      expect(processEnded(firstPid), "the first try still runs after its lease").toBe(true);
      const other = await h.worker();
      writeFileSync(file("lease-cut-gate"), "");
      const row = await h.waitForRun(id, ["succeeded", "failed"]);
      expect(row.status).toBe("succeeded");
      expect(runView(row).outputs).toEqual({ attempt: "2" });
      // The cut-off worker hears again: its report of the stopped try comes too late and is refused.
      link.cut = false;
      await waitFor(() => cutOff.running === 0, { what: "the cut-off worker to give the try up" });
      const attempts = (await h.attempts(id)).map((a) => [a.attempt, a.status, a.worker_id]);
      expect(attempts).toEqual([
        [1, "failed", cutOff.id],
        [2, "succeeded", other.id],
      ]);
      expect((await h.attempts(id))[0]?.error).toMatch(/^worker lost: /);
      expect(lines(file("lease-cut-starts")).map((l) => l.split(" ")[0])).toEqual(["1", "2"]);
    });

    it("runs a job whose claim committed but whose answer was lost, without waiting for its lease", async () => {
      await h.worker({
        database: { ...h.database, db: h.database.db.withPlugin(lostClaimAnswer()) },
        leaseMs: 60_000,
        pollMs: 200,
      });
      const { id } = await createRunInUnit(elsewhere(), { workflow: "trivial" });
      // Far less than the lease: the worker found the job it held and ran it.
      const row = await h.waitForRun(id, ["succeeded", "failed"], 20_000);
      expect(row.status).toBe("succeeded");
      expect((await h.attempts(id)).map((a) => [a.attempt, a.status])).toEqual([[1, "succeeded"]]);
    });

    it("refuses the late result of a try that was reaped (fencing by attempt)", async () => {
      const { id } = await createRunInUnit(h.ctx, { workflow: "reap" });
      const now = Date.now();
      const stale = await claimJob(
        h.database.db,
        h.database.dialect,
        { id: "slow-worker", labels: ["runner:local"] },
        now,
        now + 100,
      );
      expect(stale).toBeDefined();
      await waitFor(async () => (await reapExpiredJobs(h.ctx)) === 1, { what: "the reaper to take the job" });
      const late = await finishTaskInUnit(
        h.ctx,
        stale!,
        { status: "succeeded", exitCode: 0, outputs: { attempt: "late" } },
        "slow-worker",
      );
      expect(late).toBeUndefined();
      expect((await h.attempts(id)).map((a) => [a.attempt, a.status])).toEqual([[1, "failed"]]);
      expect((await runJobs(h.database.db, id)).map((j) => [j.attempt, j.status])).toEqual([[2, "queued"]]);
      expect(runView((await getRun(h.database.db, id))!).state?.steps.only?.items[0]).toMatchObject({
        status: "queued",
        attempts: 2,
        lost: 1,
      });
      await cancelRunInUnit(h.ctx, id);
    });

    it("fails the step of a reaped job when no attempts remain", async () => {
      const { id } = await createRunInUnit(h.ctx, { workflow: "reap-once" });
      const now = Date.now();
      await claimJob(
        h.database.db,
        h.database.dialect,
        { id: "lost-worker", labels: ["runner:local"] },
        now,
        now + 100,
      );
      await waitFor(async () => (await reapExpiredJobs(h.ctx)) === 1, { what: "the reaper to take the job" });
      const row = (await getRun(h.database.db, id))!;
      expect(row.status).toBe("failed");
      expect(runView(row).state?.steps.only?.items[0]?.error).toMatch(
        /^worker lost: lost-worker .*\(worker_lost\.retries: 0 spent\)$/,
      );
      expect(await runJobs(h.database.db, id)).toEqual([]);
    });

    it("hands a running step back on a graceful stop, and another worker runs the same attempt", async () => {
      const first = await h.worker({ graceMs: 200 });
      const { id } = await createRunInUnit(h.ctx, { workflow: "handback" });
      await waitFor(() => lines(file("handback-starts")).length === 1, { what: "the step to start" });
      await first.stop();
      expect(first.state).toBe("stopped");
      const jobs = await runJobs(h.database.db, id);
      expect(jobs.map((j) => [j.step, j.status, j.attempt, j.worker_id, j.lease_until])).toEqual([
        ["slow", "queued", 1, null, null],
      ]);
      const state = runView((await getRun(h.database.db, id))!).state;
      expect(state?.steps.slow?.items).toMatchObject([{ status: "queued", attempts: 1 }]);

      writeFileSync(file("handback-gate"), "");
      const second = await h.worker();
      const row = await h.waitForRun(id, ["succeeded", "failed"]);
      expect(row.status).toBe("succeeded");
      expect(runView(row).outputs).toEqual({ attempt: "1" });
      expect(lines(file("handback-starts"))).toEqual(["1", "1"]);
      expect((await h.attempts(id)).map((a) => [a.attempt, a.status, a.worker_id])).toEqual([
        [1, "succeeded", second.id],
      ]);
    });

    it("lets a running step finish within the grace period on a graceful stop", async () => {
      rmSync(file("handback-starts"), { force: true });
      rmSync(file("handback-gate"), { force: true });
      const worker = await h.worker({ graceMs: 10_000 });
      const { id } = await createRunInUnit(h.ctx, { workflow: "handback" });
      await waitFor(() => lines(file("handback-starts")).length === 1, { what: "the step to start" });
      const stopping = worker.stop();
      expect(worker.state).toBe("draining");
      // Claims nothing more while draining.
      const other = await createRunInUnit(h.ctx, { workflow: "trivial" });
      writeFileSync(file("handback-gate"), "");
      await stopping;
      expect((await getRun(h.database.db, id))?.status).toBe("succeeded");
      expect((await getRun(h.database.db, other.id))?.status).toBe("queued");
      expect(lines(file("handback-starts"))).toEqual(["1"]);
    });

    it("re-runs from the failed steps without running the succeeded ones again", async () => {
      await h.worker();
      const { id } = await createRunInUnit(h.ctx, { workflow: "rerun" });
      const failed = await h.waitForRun(id, ["succeeded", "failed"]);
      expect(failed.status).toBe("failed");
      expect(lines(file("rerun-first"))).toHaveLength(1);

      writeFileSync(file("rerun-ok"), "");
      const rerun = await createRunInUnit(h.ctx, {
        workflow: "rerun",
        revision: failed.revision,
        parentRunId: id,
        attempt: 2,
        keep: decodeRunState(failed)!.steps,
      });
      const row = await h.waitForRun(rerun.id, ["succeeded", "failed"]);
      expect(row).toMatchObject({ status: "succeeded", parent_run_id: id, attempt: 2 });
      expect(runView(row).outputs).toEqual({ got: "one" });
      expect(lines(file("rerun-first"))).toHaveLength(1);
      expect((await h.attempts(rerun.id)).map((a) => a.step)).toEqual(["second"]);
    });
  });
}
