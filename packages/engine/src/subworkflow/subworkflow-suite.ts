// biome-ignore-all lint/suspicious/noTemplateCurlyInString: workflows in these tests are full of ${{ }}.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { expireGates } from "../gates/expire.js";
import { reapExpiredJobs } from "../service/reaper.js";
import { registerFolder } from "../service/register-folder.js";
import type { Database } from "../store/database.js";
import { childRunsOf } from "../store/queries/child-runs.js";
import { claimJob } from "../store/queries/claim-job.js";
import { expiredJobs } from "../store/queries/expired-jobs.js";
import { getRun } from "../store/queries/get-run.js";
import { cancelRunInUnit, createRunInUnit } from "../testing/operations.js";
import { type Harness, openHarness, runView } from "../testing/service-harness.js";
import { waitFor } from "../testing/wait-for.js";
import { reconcileSubWorkflows } from "./reconcile.js";

/** A step that waits for a gate file, for at most 30 s, so a test decides when it ends. */
const waitGate = (gate: string) =>
  `for i in $(seq 600); do [ -f "${gate}" ] && break; sleep 0.05; done; [ -f "${gate}" ]`;

function workflows(dir: string): Record<string, string> {
  const call = (name: string, child: string, extra = "") =>
    `name: ${name}\nsteps:\n  call:\n    uses: "workflow:${child}"\n${extra}`;
  return {
    // Queued for a worker that never comes (no worker has the label).
    "stuck.yaml": "name: stuck\nsteps:\n  s: {run: 'true', runner: {labels: [nowhere]}}\n",
    "calls-stuck.yaml": call("calls-stuck", "stuck"),
    "calls-stuck-2s.yaml": call("calls-stuck-2s", "stuck", "    timeout: 2s\n"),
    // Claimed by a worker that vanishes; no new try after a lost one.
    "lost.yaml":
      "name: lost\nsteps:\n  s: {run: 'true', runner: {labels: [lost]}, worker_lost: {retries: 0}}\n",
    "calls-lost.yaml": call("calls-lost", "lost"),
    // One run at a time in group g; the holder waits for a gate file.
    "holder.yaml": `name: holder\nconcurrency: {group: g, policy: queue}\nsteps:\n  hold: {run: '${waitGate(path.join(dir, "holder-gate"))}'}\n`,
    "bad-start.yaml":
      "name: bad-start\nconcurrency: {group: g, policy: queue}\nsteps:\n  s: {if: \"${{ fromJSON('not json') }}\", run: 'true'}\n",
    "calls-bad-start.yaml": call("calls-bad-start", "bad-start"),
    // An approval nobody answers: rejected by its timeout.
    "asks.yaml": "name: asks\nsteps:\n  ok: {approval: {message: go?, timeout: 1s, on_timeout: reject}}\n",
    "calls-asks.yaml": call("calls-asks", "asks"),
    // A step that runs 30 s unless stopped.
    "sleeps.yaml": "name: sleeps\nsteps:\n  s: {run: 'sleep 30'}\n",
    "calls-sleeps-2s.yaml": call("calls-sleeps-2s", "sleeps", "    timeout: 2s\n"),
    "calls-calls-sleeps.yaml": `name: calls-calls-sleeps\nsteps:\n  outer:\n    uses: "workflow:calls-sleeps-10s"\n    timeout: 3s\n`,
    "calls-sleeps-10s.yaml": call("calls-sleeps-10s", "sleeps", "    timeout: 10s\n"),
  };
}

/** Sub-workflow runs that end outside a worker's finishTask, on each store (see subworkflow.test.ts). */
export function describeSubWorkflowEnds(name: string, open: () => Promise<Database>): void {
  describe(`sub-workflow ends on ${name}`, () => {
    let h: Harness;
    let dir: string;

    beforeAll(async () => {
      h = await openHarness(await open());
      dir = path.join(h.tmp.dir, "files");
      h.tmp.write("files/.keep", "");
      for (const [file, text] of Object.entries(workflows(dir))) h.tmp.write(`wf/${file}`, text);
      const { problems } = await registerFolder(h.ctx, path.join(h.tmp.dir, "wf"));
      expect(problems).toEqual([]);
    });
    afterAll(async () => {
      await h?.close();
    });
    afterEach(async () => {
      await h.stopWorkers();
      await h.reset();
    });

    /** The one child of a parent, once its parent's step is parked waiting for it. */
    async function childOf(parent: string, statuses = ["queued", "pending", "waiting", "running"]) {
      return waitFor(
        async () => {
          const waiting = await h.database.db
            .selectFrom("jobs")
            .select("id")
            .where("run_id", "=", parent)
            .where("status", "=", "waiting")
            .executeTakeFirst();
          const [child] = await childRunsOf(h.database.db, parent);
          return waiting && child && statuses.includes(child.status) ? child : undefined;
        },
        { timeoutMs: 30_000, what: `a child of ${parent} to start while its parent waits` },
      );
    }
    const callStep = async (id: string) => runView((await getRun(h.database.db, id))!).state?.steps.call;

    it("a child cancelled while queued (not through the API's tree cancel) ends its parent's step", async () => {
      await h.worker();
      const { id } = await createRunInUnit(h.ctx, { workflow: "calls-stuck" });
      const child = await childOf(id);
      expect((await cancelRunInUnit(h.ctx, child.id)).status).toBe("cancelled");
      expect((await getRun(h.database.db, id))?.status).toBe("running");
      expect(await reconcileSubWorkflows(h.ctx)).toEqual({ settled: 1, orphaned: 0, timedOut: 0 });
      const row = await h.waitForRun(id, ["cancelled", "failed"]);
      expect(row.status).toBe("cancelled");
      expect((await callStep(id))?.items[0]?.error).toBe(`sub-workflow run ${child.id} cancelled`);
      expect(await reconcileSubWorkflows(h.ctx)).toEqual({ settled: 0, orphaned: 0, timedOut: 0 });
    });

    it("a child whose step was reaped after its lease fails its parent's step, saying the worker was lost", async () => {
      await h.worker();
      const { id } = await createRunInUnit(h.ctx, { workflow: "calls-lost" });
      const child = await childOf(id);
      const now = Date.now();
      const claimed = await claimJob(
        h.database.db,
        h.database.dialect,
        { id: "vanished", labels: ["runner:local", "lost"] },
        now,
        now + 200,
      );
      expect(claimed?.run_id).toBe(child.id);
      await waitFor(async () => (await expiredJobs(h.database.db, Date.now())).length === 1, {
        what: "the lease to run out",
      });
      expect(await reapExpiredJobs(h.ctx)).toBe(1);
      expect((await getRun(h.database.db, child.id))?.status).toBe("failed");
      expect((await reconcileSubWorkflows(h.ctx)).settled).toBe(1);
      const row = await h.waitForRun(id, ["failed", "succeeded"]);
      expect(row.status).toBe("failed");
      expect((await callStep(id))?.items[0]?.error).toMatch(
        new RegExp(`^sub-workflow run ${child.id} failed \\(step s\\): .*worker lost: vanished`),
      );
    });

    it("a child that fails as it starts, when its concurrency group frees, fails its parent's step", async () => {
      await h.worker();
      const holder = await createRunInUnit(h.ctx, { workflow: "holder" });
      await h.waitForRun(holder.id, ["running"], 30_000);
      const { id } = await createRunInUnit(h.ctx, { workflow: "calls-bad-start" });
      const child = await childOf(id, ["pending"]);
      writeFileSync(path.join(dir, "holder-gate"), "");
      await h.waitForRun(holder.id, ["succeeded"], 30_000);
      expect((await h.waitForRun(child.id, ["failed"])).status).toBe("failed");
      expect((await reconcileSubWorkflows(h.ctx)).settled).toBe(1);
      const row = await h.waitForRun(id, ["failed", "succeeded"]);
      expect(row.status).toBe("failed");
      expect((await callStep(id))?.items[0]?.error).toMatch(
        new RegExp(`^sub-workflow run ${child.id} failed \\(step s\\)`),
      );
    });

    it("a child whose approval timed out (decided by no worker) fails its parent's step", async () => {
      await h.worker();
      const { id } = await createRunInUnit(h.ctx, { workflow: "calls-asks" });
      const child = await childOf(id, ["waiting"]);
      await waitFor(async () => (await expireGates(h.ctx)) === 1, {
        timeoutMs: 30_000,
        what: "the approval's timeout to decide it",
      });
      expect((await getRun(h.database.db, child.id))?.status).toBe("failed");
      expect((await reconcileSubWorkflows(h.ctx)).settled).toBe(1);
      const row = await h.waitForRun(id, ["failed", "succeeded"]);
      expect(row.status).toBe("failed");
      expect((await callStep(id))?.items[0]?.error).toMatch(
        new RegExp(`^sub-workflow run ${child.id} failed \\(step ok\\)`),
      );
    });

    it("a child deleted while its parent waits fails the parent's step; a parent deleted cancels its child", async () => {
      await h.worker();
      const first = await createRunInUnit(h.ctx, { workflow: "calls-stuck" });
      const gone = await childOf(first.id);
      await h.database.db.deleteFrom("jobs").where("run_id", "=", gone.id).execute();
      await h.database.db.deleteFrom("runs").where("id", "=", gone.id).execute();
      expect((await reconcileSubWorkflows(h.ctx)).settled).toBe(1);
      expect((await h.waitForRun(first.id, ["failed"])).status).toBe("failed");
      expect((await callStep(first.id))?.items[0]?.error).toBe(
        "sub-workflow run of step 'call' is gone: it was deleted before it ended",
      );

      const second = await createRunInUnit(h.ctx, { workflow: "calls-stuck" });
      const orphan = await childOf(second.id);
      await h.database.db.deleteFrom("jobs").where("run_id", "=", second.id).execute();
      await h.database.db.deleteFrom("runs").where("id", "=", second.id).execute();
      expect((await reconcileSubWorkflows(h.ctx)).orphaned).toBe(1);
      const row = await h.waitForRun(orphan.id, ["cancelled"]);
      expect(row.error).toBe(`cancelled: its parent run ${second.id} was deleted`);
    });

    it("a parent cancelled outside the tree cancel (a concurrency group's) cancels its child, saying why", async () => {
      await h.worker();
      const { id } = await createRunInUnit(h.ctx, { workflow: "calls-stuck" });
      const child = await childOf(id);
      expect((await cancelRunInUnit(h.ctx, id)).status).toBe("cancelling");
      const sweep = await reconcileSubWorkflows(h.ctx);
      expect(sweep.orphaned).toBe(1);
      const row = await h.waitForRun(child.id, ["cancelled"]);
      expect(row.error).toBe(`cancelled: its parent run ${id} was cancelled`);
      // The cancelled child ended the parent's waiting step: the parent ends too.
      expect((await h.waitForRun(id, ["cancelled"])).status).toBe("cancelled");
    });

    it("a parent step's timeout times out a child that never started, and cancels it saying why", async () => {
      await h.worker();
      const { id } = await createRunInUnit(h.ctx, { workflow: "calls-stuck-2s" });
      const child = await childOf(id);
      const trigger = JSON.parse(child.trigger_json);
      // Two seconds from when the parent's step started, which was before the child was created.
      expect(trigger.deadline).toBeGreaterThan(child.created_at);
      expect(trigger.deadline).toBeLessThanOrEqual(child.created_at + 2000);
      expect(trigger.deadline_reason).toBe(`step 'call' of run ${id} has timeout 2s`);
      await waitFor(async () => (await reconcileSubWorkflows(h.ctx)).timedOut === 1, {
        timeoutMs: 30_000,
        what: "the sweep to time the child out",
      });
      const row = await h.waitForRun(id, ["timed_out", "failed"]);
      expect(row.status).toBe("timed_out");
      expect((await callStep(id))?.items[0]?.error).toBe(
        `sub-workflow run ${child.id} timed out: step 'call' of run ${id} has timeout 2s`,
      );
      const stopped = await h.waitForRun(child.id, ["cancelled"]);
      expect(stopped.error).toBe(`cancelled: timed out: step 'call' of run ${id} has timeout 2s`);
    });

    it("a child's running step gets at most its parent step's time left, two levels down", async () => {
      await h.worker();
      const started = Date.now();
      const { id } = await createRunInUnit(h.ctx, { workflow: "calls-calls-sleeps" });
      // outer (3 s) calls calls-sleeps-10s, whose step (10 s) calls sleeps: the 3 s are the limit.
      const row = await h.waitForRun(id, ["timed_out", "failed", "succeeded"], 30_000);
      expect(Date.now() - started).toBeLessThan(25_000);
      expect(row.status).toBe("timed_out");
      const [middle] = await childRunsOf(h.database.db, id);
      const [inner] = await childRunsOf(h.database.db, middle!.id);
      expect(JSON.parse(inner!.trigger_json).deadline_reason).toBe(
        `step 'outer' of run ${id} has timeout 3s`,
      );
      expect((await h.waitForRun(inner!.id, ["timed_out"])).status).toBe("timed_out");
      expect((await h.waitForRun(middle!.id, ["timed_out"])).status).toBe("timed_out");
    });
  });
}
