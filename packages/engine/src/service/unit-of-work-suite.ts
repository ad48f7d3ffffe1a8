import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { LocalWorkers } from "../queue/local-workers.js";
import type { Channel, NotifierLike } from "../queue/notifier.js";
import type { Database } from "../store/database.js";
import { withAuthTables } from "../store/queries/auth-tables.js";
import { getRun } from "../store/queries/get-run.js";
import { runJobs } from "../store/queries/run-jobs.js";
import { runStepRows } from "../store/queries/run-steps.js";
import { type Harness, openHarness } from "../testing/service-harness.js";
import { waitFor } from "../testing/wait-for.js";
import { cancelRun } from "./cancel-run.js";
import type { ServiceContext } from "./context.js";
import { createRun, startRun } from "./create-run.js";
import { processState } from "./process-state.js";
import { registerFolder } from "./register-folder.js";
import { withUnitOfWork } from "./unit-of-work.js";

/** The real notifier, with every call to `notify` written down in the order it was made. */
function recording(notifier: NotifierLike) {
  const sent: Array<[Channel, string | undefined]> = [];
  const wrapped: NotifierLike = {
    async notify(channel, payload) {
      sent.push([channel, payload]);
      await notifier.notify(channel, payload);
    },
    subscribe: (channel, handler) => notifier.subscribe(channel, handler),
    close: () => notifier.close(),
  };
  return { sent, notifier: wrapped };
}

/** withUnitOfWork on one database: what it holds until the commit, and what a rollback drops. */
export function describeUnitOfWork(name: string, open: () => Promise<Database>) {
  describe(`withUnitOfWork on ${name}`, () => {
    let h: Harness;
    let ctx: ServiceContext;
    let sent: Array<[Channel, string | undefined]>;

    beforeAll(async () => {
      h = await openHarness(await open());
      h.tmp.write("wf/plain.yaml", `name: plain\nsteps:\n  a:\n    run: "true"\n`);
      h.tmp.write(
        "wf/replace.yaml",
        `name: replace\nconcurrency: { group: replace, policy: cancel-running }\nsteps:\n  a:\n    run: sleep 60\n`,
      );
      expect((await registerFolder(h.ctx, `${h.tmp.dir}/wf`)).problems).toEqual([]);
    });
    afterAll(async () => {
      await h?.close();
    });
    afterEach(async () => {
      await h.reset();
    });

    function context() {
      const r = recording(h.ctx.notifier);
      sent = r.sent;
      ctx = { ...h.ctx, notifier: r.notifier };
      return ctx;
    }

    it("wakes the workers only after the commit, once per channel and payload", async () => {
      context();
      const received: string[] = [];
      const off = h.ctx.notifier.subscribe("jobs", (payload) => received.push(payload));
      let effectRan = false;
      try {
        const run = await withUnitOfWork(ctx, async (tx) => {
          const run = await createRun(ctx, tx, { workflow: "plain" });
          tx.notify("jobs");
          tx.afterCommit(() => {
            effectRan = true;
          });
          // Held: nothing is sent, and no other connection sees the run yet.
          expect(sent).toEqual([]);
          expect(effectRan).toBe(false);
          // SQLite has one connection, which is the transaction's own.
          if (h.database.dialect === "postgres") expect(await getRun(h.database.db, run.id)).toBeUndefined();
          return run;
        });
        expect(sent).toEqual([["jobs", undefined]]);
        expect(effectRan).toBe(true);
        expect((await getRun(h.database.db, run.id))?.status).toBe("queued");
        // The real notifier delivers it (through LISTEN on PostgreSQL).
        await waitFor(() => received.length > 0, { what: "the jobs wake-up" });
      } finally {
        off();
      }
    });

    it("drops the held wake-ups and effects when the unit rolls back, with its writes", async () => {
      context();
      let runId = "";
      let effectRan = false;
      const failure = withUnitOfWork(ctx, async (tx) => {
        runId = (await createRun(ctx, tx, { workflow: "plain" })).id;
        tx.afterCommit(() => {
          effectRan = true;
        });
        throw new Error("the caller's next write failed");
      });
      await expect(failure).rejects.toThrow("the caller's next write failed");
      expect(runId).not.toBe("");
      expect(await getRun(h.database.db, runId)).toBeUndefined();
      expect(sent).toEqual([]);
      expect(effectRan).toBe(false);
    });

    it("settles a slot a worker of the process offered: accepted after the commit, freed when the unit fails", async () => {
      context();
      const settled: string[] = [];
      const workers = new LocalWorkers();
      workers.add({
        offer: (fits) =>
          fits(["runner:local"])
            ? {
                workerId: "w-here",
                labels: ["runner:local"],
                leaseUntil: Date.now() + 60_000,
                accept: (started) => settled.push(`accept ${started.job.step} ${started.job.run_id}`),
                decline: (uncertain) => settled.push(`decline ${uncertain}`),
              }
            : undefined,
      });
      const here = { ...ctx, localWorkers: workers };
      const run = await withUnitOfWork(here, async (tx) => {
        const run = await createRun(here, tx, { workflow: "plain" });
        expect(settled).toEqual([]);
        return run;
      });
      expect(settled).toEqual([`accept a ${run.id}`]);
      // Its only task went to the worker here: no wake-up for others.
      expect(sent).toEqual([]);
      expect(await getRun(h.database.db, run.id)).toMatchObject({ status: "running" });
      settled.length = 0;
      let failedId = "";
      const failure = withUnitOfWork(here, async (tx) => {
        failedId = (await createRun(here, tx, { workflow: "plain" })).id;
        throw new Error("the caller's next write failed");
      });
      await expect(failure).rejects.toThrow("the caller's next write failed");
      expect(settled).toEqual(["decline true"]);
      expect(await getRun(h.database.db, failedId)).toBeUndefined();
    });

    it("sends a cancel-running group's cancel and the jobs wake-up after the commit, in order", async () => {
      context();
      const first = await withUnitOfWork(ctx, (tx) => createRun(ctx, tx, { workflow: "replace" }));
      sent.length = 0;
      const second = await withUnitOfWork(ctx, async (tx) => {
        const run = await createRun(ctx, tx, { workflow: "replace" });
        expect(sent).toEqual([]);
        return run;
      });
      expect(second.status).toBe("queued");
      expect(sent).toEqual([
        ["cancel", first.id],
        ["jobs", undefined],
      ]);
      expect((await getRun(h.database.db, first.id))?.status).toBe("cancelled");
    });

    it("runs several operations as one: a cancel rolled back with its unit leaves the run as it was", async () => {
      context();
      const run = await withUnitOfWork(ctx, (tx) => createRun(ctx, tx, { workflow: "plain" }));
      sent.length = 0;
      await expect(
        withUnitOfWork(ctx, async (tx) => {
          expect(await cancelRun(ctx, tx, run.id)).toEqual({ status: "cancelled" });
          throw new Error("abandoned");
        }),
      ).rejects.toThrow("abandoned");
      expect((await getRun(h.database.db, run.id))?.status).toBe("queued");
      expect(sent).toEqual([]);
    });

    it("startRun: one run alone, written at once without a group, in a unit of its own with one", async () => {
      context();
      const plain = await startRun(ctx, { workflow: "plain" });
      expect(plain.status).toBe("queued");
      expect(sent).toEqual([["jobs", undefined]]);
      const first = await startRun(ctx, { workflow: "replace" });
      const second = await startRun(ctx, { workflow: "replace" });
      expect([first.status, second.status]).toEqual(["queued", "queued"]);
      expect(sent.slice(1)).toEqual([
        ["jobs", undefined],
        ["cancel", first.id],
        ["jobs", undefined],
      ]);
      expect((await getRun(h.database.db, first.id))?.status).toBe("cancelled");
      expect((await getRun(h.database.db, second.id))?.concurrency_group).toBe("replace");
    });

    it("startRun: a workflow another process changed between two starts: the second starts on the new revision", async () => {
      // This process (its own cache of workflow rows) and another one sharing the database.
      const here = { ...h.ctx, ...processState() };
      const there = { ...h.ctx, ...processState() };
      const revisionOf = async (id: string) => (await getRun(h.database.db, id))?.revision;
      const before = await Promise.all([
        startRun(here, { workflow: "plain" }),
        startRun(here, { workflow: "replace" }),
      ]);
      h.tmp.write("wf/plain.yaml", `name: plain\nsteps:\n  a:\n    run: "echo changed"\n`);
      h.tmp.write(
        "wf/replace.yaml",
        `name: replace\nconcurrency: { group: replace, policy: cancel-running }\nsteps:\n  a:\n    run: sleep 61\n`,
      );
      try {
        expect((await registerFolder(there, `${h.tmp.dir}/wf`)).problems).toEqual([]);
        const rows = await h.database.db.selectFrom("workflows").select(["name", "revision"]).execute();
        const current = new Map(rows.map((r) => [r.name, r.revision]));
        // Ten at once: on PostgreSQL they go in one statement, refused as a whole and sent again.
        const after = await Promise.all([
          ...Array.from({ length: 10 }, () => startRun(here, { workflow: "plain" })),
          startRun(here, { workflow: "replace" }),
        ]);
        expect(await revisionOf(before[0].id)).not.toBe(current.get("plain"));
        expect(await revisionOf(before[1].id)).not.toBe(current.get("replace"));
        for (const run of after.slice(0, 10)) expect(await revisionOf(run.id)).toBe(current.get("plain"));
        expect(await revisionOf(after[10]?.id ?? "")).toBe(current.get("replace"));
        // Every run written once, the refused statement wrote nothing.
        expect(await h.database.db.selectFrom("runs").select("id").execute()).toHaveLength(13);
        const plainIds = [before[0].id, ...after.slice(0, 10).map((r) => r.id)];
        const jobs = await h.database.db
          .selectFrom("jobs")
          .select("run_id")
          .where("run_id", "in", plainIds)
          .execute();
        expect(jobs).toHaveLength(11);
      } finally {
        h.tmp.write("wf/plain.yaml", `name: plain\nsteps:\n  a:\n    run: "true"\n`);
        h.tmp.write(
          "wf/replace.yaml",
          `name: replace\nconcurrency: { group: replace, policy: cancel-running }\nsteps:\n  a:\n    run: sleep 60\n`,
        );
        expect((await registerFolder(h.ctx, `${h.tmp.dir}/wf`)).problems).toEqual([]);
      }
    });

    it("startRun: the audit entry of each run started for someone is written with it, a group's too", async () => {
      context();
      const entry = (run: { id: string; status: string }) => ({
        at: 1,
        actor: "key:k",
        actor_name: "ci",
        action: "run.start",
        target: "t",
        detail_json: JSON.stringify(run),
        ip: null,
      });
      const runs = await Promise.all([
        ...Array.from({ length: 5 }, () => startRun(ctx, { workflow: "plain" }, undefined, entry)),
        startRun(ctx, { workflow: "replace" }, undefined, entry),
      ]);
      const rows = await withAuthTables(h.database.db)
        .selectFrom("audit_log")
        .select(["actor_name", "detail_json"])
        .execute();
      expect(
        rows.map((r) => JSON.parse(r.detail_json ?? "null")).sort((a, b) => a.id.localeCompare(b.id)),
      ).toEqual(runs.map((r) => ({ id: r.id, status: r.status })).sort((a, b) => a.id.localeCompare(b.id)));
      expect(rows.every((r) => r.actor_name === "ci")).toBe(true);
    });

    it("startRun: runs started at the same time (written together on PostgreSQL) each get their own rows", async () => {
      context();
      const started = await Promise.allSettled([
        ...Array.from({ length: 20 }, () => startRun(ctx, { workflow: "plain" })),
        startRun(ctx, { workflow: "missing" }),
      ]);
      const failed = started.filter((s) => s.status === "rejected");
      expect(failed.map((f) => String(f.reason))).toEqual([
        expect.stringContaining("unknown workflow 'missing'"),
      ]);
      const runs = started.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
      expect(new Set(runs.map((r) => r.id)).size).toBe(20);
      for (const run of runs) {
        expect(run.status).toBe("queued");
        expect((await getRun(h.database.db, run.id))?.status).toBe("queued");
        expect((await runJobs(h.database.db, run.id)).map((j) => [j.step, j.status])).toEqual([
          ["a", "queued"],
        ]);
        expect((await runStepRows(h.database.db, run.id)).map((s) => s.step)).toEqual(["a"]);
      }
      // Every run was committed, and the workers woken, before its caller heard of it.
      expect(sent.length).toBeGreaterThan(0);
      expect(sent.every(([channel]) => channel === "jobs")).toBe(true);
    });
  });
}
