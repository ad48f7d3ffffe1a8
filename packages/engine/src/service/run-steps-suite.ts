import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../store/database.js";
import { decodeRunState } from "../store/decode/index.js";
import { claimJob } from "../store/queries/claim-job.js";
import { getRun } from "../store/queries/get-run.js";
import { runStepRows } from "../store/queries/run-steps.js";
import { createRunInUnit } from "../testing/operations.js";
import { type Harness, openHarness, runView } from "../testing/service-harness.js";
import { registerFolder } from "./register-folder.js";
import { type ClaimedTask, finishTask, startTask } from "./tasks.js";
import { withUnitOfWork } from "./unit-of-work.js";

// Ten thousand steps are run through the planner in core (planner/scale.test.ts); through the store, a
// thousand keep the test within its time on a loaded machine.
const STEPS = 1000;
const WORKER = { id: "worker-scale", labels: ["runner:local"] };

function chainYaml(name: string, n: number): string {
  const lines = [`name: ${name}`, "steps:"];
  for (let i = 0; i < n; i++) {
    lines.push(`  s${i}:`);
    if (i > 0) lines.push(`    needs: s${i - 1}`);
    lines.push(`    run: "true"`);
  }
  return `${lines.join("\n")}\n`;
}

/**
 * How a run's state is stored (a header in `runs`, a row per step in `run_steps`), on each store:
 * `run-steps.test.ts` (SQLite), `run-steps.services.test.ts` (PostgreSQL).
 */
export function describeRunSteps(name: string, open: () => Promise<Database>): void {
  describe(`run state per step on ${name}`, () => {
    let h: Harness;

    beforeAll(async () => {
      h = await openHarness(await open());
      h.tmp.write("wf/three.yaml", chainYaml("three", 3));
      h.tmp.write("wf/big.yaml", chainYaml("big", STEPS));
      const result = await registerFolder(h.ctx, `${h.tmp.dir}/wf`);
      expect(result.registered.sort()).toEqual(["big", "three"]);
    });
    afterAll(async () => {
      await h?.close();
    });
    afterEach(async () => {
      await h.stopWorkers();
      await h.reset();
    });

    const rowsOf = async (runId: string) =>
      Object.fromEntries((await runStepRows(h.database.db, runId)).map((r) => [r.step, r.state_json]));
    const headerOf = async (runId: string) =>
      (
        await h.database.db
          .selectFrom("runs")
          .select("state_json")
          .where("id", "=", runId)
          .executeTakeFirstOrThrow()
      ).state_json;

    it("writes a step's start and finish to that step's row and the run's header, not to the others", async () => {
      const { id } = await createRunInUnit(h.ctx, { workflow: "three" });
      const created = await rowsOf(id);
      expect(Object.keys(created)).toEqual(["s0", "s1", "s2"]);
      expect(await headerOf(id)).not.toContain("steps");
      const job = await claimJob(h.database.db, h.database.dialect, WORKER, Date.now(), Date.now() + 60_000);
      expect(job?.step).toBe("s0");
      // A cold process (no state kept from before) reads every row; what it writes is s0's alone.
      h.ctx.runStates.take(id, Number.NaN);
      const started = await withUnitOfWork(h.ctx, (u) => startTask(h.ctx, u, job!, WORKER.id));
      expect(started?.state.steps.s0?.items[0]?.status).toBe("running");
      const afterStart = await rowsOf(id);
      expect(afterStart.s0).not.toBe(created.s0);
      expect(afterStart.s1).toBe(created.s1);
      expect(afterStart.s2).toBe(created.s2);
      await withUnitOfWork(h.ctx, (u) =>
        finishTask(h.ctx, u, started!.job, { status: "succeeded", exitCode: 0 }, WORKER.id),
      );
      const afterFinish = await rowsOf(id);
      expect(JSON.parse(afterFinish.s0 as string).status).toBe("succeeded");
      expect(JSON.parse(afterFinish.s1 as string).status).toBe("running");
      expect(afterFinish.s2).toBe(created.s2);
      const state = decodeRunState((await getRun(h.database.db, id))!);
      expect(Object.keys(state?.steps ?? {})).toEqual(["s0", "s1", "s2"]);
    });

    it("reads and finishes a run written before run_steps, whose steps are in its own row", async () => {
      const { id } = await createRunInUnit(h.ctx, { workflow: "three" });
      // The run as the store kept it before: the whole state in runs.state_json, no step rows.
      const whole = (await getRun(h.database.db, id))!.state_json;
      expect(JSON.parse(whole).steps.s0.items[0].status).toBe("queued");
      await h.database.db.updateTable("runs").set({ state_json: whole }).where("id", "=", id).execute();
      await h.database.db.deleteFrom("run_steps").where("run_id", "=", id).execute();
      expect(runView((await getRun(h.database.db, id))!).state?.steps.s2?.status).toBe("pending");
      await h.worker();
      const row = await h.waitForRun(id, ["succeeded", "failed"]);
      const view = runView(row);
      expect(view.status).toBe("succeeded");
      expect(Object.values(view.state?.steps ?? {}).map((s) => s.status)).toEqual([
        "succeeded",
        "succeeded",
        "succeeded",
      ]);
      // Its first write moved the steps to their rows.
      expect(Object.keys(await rowsOf(id))).toEqual(["s0", "s1", "s2"]);
      expect(await headerOf(id)).not.toContain('"steps"');
    });

    it(`runs a ${STEPS.toLocaleString("en")}-step chain to the end through the store`, async () => {
      const { id } = await createRunInUnit(h.ctx, { workflow: "big" });
      expect((await runStepRows(h.database.db, id)).length).toBe(STEPS);
      const job = await claimJob(h.database.db, h.database.dialect, WORKER, Date.now(), Date.now() + 600_000);
      let claimed: ClaimedTask | undefined = await withUnitOfWork(h.ctx, (u) =>
        startTask(h.ctx, u, job!, WORKER.id),
      );
      const ran: string[] = [];
      while (claimed) {
        const current: ClaimedTask = claimed;
        ran.push(current.task.step);
        // As a worker does: the finish takes the next step in the same transaction.
        claimed = await withUnitOfWork(h.ctx, (u) =>
          finishTask(h.ctx, u, current.job, { status: "succeeded", exitCode: 0 }, WORKER.id, {
            take: { workerId: WORKER.id, labels: WORKER.labels, leaseUntil: Date.now() + 600_000 },
          }),
        );
      }
      expect(ran.length).toBe(STEPS);
      expect(ran.at(-1)).toBe(`s${STEPS - 1}`);
      const view = runView((await getRun(h.database.db, id))!);
      expect(view.status).toBe("succeeded");
      const statuses = new Set(Object.values(view.state?.steps ?? {}).map((s) => s.status));
      expect([...statuses]).toEqual(["succeeded"]);
      expect(Object.keys(view.state?.steps ?? {}).length).toBe(STEPS);
    });
  });
}
