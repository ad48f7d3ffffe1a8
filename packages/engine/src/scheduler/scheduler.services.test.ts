import path from "node:path";
import { describe, expect, it } from "vitest";
import type { ServiceContext } from "../service/context.js";
import { registerFolder } from "../service/register-folder.js";
import { withUnitOfWork } from "../service/unit-of-work.js";
import { type Database, openDatabase } from "../store/database.js";
import { postgresDatabase } from "../testing/databases.js";
import { LocalLease } from "./lease.js";
import type { Scheduler } from "./scheduler.js";
import { describeScheduler, MIN, SEC, schedulerFixture, T0 } from "./scheduler-suite.js";
import { scheduleFires } from "./status.js";
import { syncSchedules } from "./sync.js";

describeScheduler("PostgreSQL", postgresDatabase);

const LEASE_MS = 15_000;

describe("two schedulers on one PostgreSQL database", () => {
  const f = schedulerFixture(postgresDatabase);

  /** A second server: its own pool on the same database, its own scheduler. */
  async function secondServer(): Promise<{ ctx: ServiceContext; close(): Promise<void> }> {
    const database: Database = await openDatabase(f.h.database.url!, { poolSize: 4 });
    return { ctx: { ...f.ctx, database }, close: () => database.close() };
  }

  const workflows = (catchUps: string[], cron: string) =>
    Object.fromEntries(
      catchUps.map((c) => [
        `${c}.yaml`,
        `name: ${c}\non:\n  schedule:\n    - {cron: "${cron}", catch_up: ${c}}\nsteps:\n  a: {run: "true"}\n`,
      ]),
    );

  /** Every recorded fire of every schedule: none twice, and a run for each fired one. */
  async function checkExactlyOnce(ids: string[]) {
    for (const id of ids) {
      const fires = await scheduleFires(f.ctx, id, { limit: 1000 });
      const times = fires.map((x) => x.scheduledAt);
      expect(new Set(times).size).toBe(times.length);
      const runs = await f.runsOf(id);
      expect(runs.map((r) => r.id).sort()).toEqual(
        fires
          .filter((x) => x.status === "fired")
          .map((x) => x.runId)
          .sort(),
      );
    }
  }

  it("exactly one leads, and each due time fires once", async () => {
    const other = await secondServer();
    try {
      await f.register(workflows(["latest"], "* * * * *"));
      const a = f.scheduler({ leaseMs: LEASE_MS });
      const b = f.scheduler({ leaseMs: LEASE_MS }, other.ctx);
      await a.start();
      await b.start();
      expect(a.state.status).toBe("leading");
      expect(b.state).toMatchObject({ status: "standby", holder: a.id, retryAt: T0 + LEASE_MS });
      await f.runUntil(T0 + 5 * MIN, a, b);
      expect(await f.history("latest:0")).toEqual([
        "1m:fired",
        "2m:fired",
        "3m:fired",
        "4m:fired",
        "5m:fired",
      ]);
      // Both woken at every fire time as well (b's timer is set for its own retries only): no change.
      for (let minute = 6; minute <= 7; minute++) {
        await f.runUntil(T0 + minute * MIN - 1, a, b);
        await f.at(T0 + minute * MIN, a, b);
      }
      expect((await f.history("latest:0")).slice(5)).toEqual(["6m:fired", "7m:fired"]);
      const firedBy = new Set(f.events.filter((e) => e.type === "fire").map((e) => e.scheduler));
      expect([...firedBy]).toEqual([a.id]);
      expect(b.state.status).toBe("standby");
      await checkExactlyOnce(["latest:0"]);
    } finally {
      await other.close();
    }
  });

  it("when the leader dies, the other takes over within the lease time and applies the catch-up policy", async () => {
    const other = await secondServer();
    try {
      await f.register(workflows(["none", "latest", "all"], "*/5 * * * * *"));
      const a = f.scheduler({ leaseMs: LEASE_MS });
      const b = f.scheduler({ leaseMs: LEASE_MS }, other.ctx);
      await a.start();
      await b.start();
      // a fires 10:00:05, renews its lease at 10:00:07.5 (until 10:00:22.5), and is killed at 10:00:08.
      await f.runUntil(T0 + 8 * SEC, a, b);
      const died = f.clock.t;
      await a.stop({ release: false }); // killed: the lease row stays as it was
      // b sleeps until the lease it last saw expires, no polling in between.
      let woke = 0;
      while (b.state.status !== "leading") {
        expect(b.wakeAt).toBeGreaterThan(f.clock.t);
        await f.at(b.wakeAt!, b);
        expect(++woke).toBeLessThan(5);
      }
      const since = T0 + 7_500 + LEASE_MS;
      expect(b.state).toMatchObject({ status: "leading", since });
      expect(since - died).toBeLessThanOrEqual(LEASE_MS);
      // 10:00:10, :15 and :20 fell while no one led.
      expect(await f.history("none:0")).toEqual(["5s:fired", "10s:missed", "15s:missed", "20s:missed"]);
      expect(await f.history("latest:0")).toEqual(["5s:fired", "10s:missed", "15s:missed", "20s:fired"]);
      expect(await f.history("all:0")).toEqual(["5s:fired", "10s:fired", "15s:fired", "20s:fired"]);
      await f.runUntil(T0 + 25 * SEC, b);
      for (const id of ["none:0", "latest:0", "all:0"])
        expect((await f.history(id)).at(-1)).toBe("25s:fired");
      await checkExactlyOnce(["none:0", "latest:0", "all:0"]);
    } finally {
      await other.close();
    }
  });

  it("the leader picks up schedules another server synced, at its next change check", async () => {
    const other = await secondServer();
    try {
      await f.register(workflows(["latest"], "* * * * *"));
      const a = f.scheduler({ leaseMs: LEASE_MS });
      await a.start();
      // Another server registers a workflow and syncs: this process hears nothing of it directly.
      f.h.tmp.write(
        "late/late.yaml",
        'name: late\non:\n  schedule: {cron: "*/30 * * * * *"}\nsteps:\n  a: {run: "true"}\n',
      );
      await registerFolder(other.ctx, path.join(f.h.tmp.dir, "late"));
      await withUnitOfWork(other.ctx, (tx) => syncSchedules(other.ctx, tx));
      await f.runUntil(T0 + MIN, a);
      expect(await f.history("late:0")).toEqual(["30s:fired", "1m:fired"]);
    } finally {
      await other.close();
    }
  });

  it("a clean stop gives the lease up, so the other leads at its next wake-up", async () => {
    const other = await secondServer();
    try {
      await f.register(workflows(["latest"], "* * * * *"));
      const a = f.scheduler({ leaseMs: LEASE_MS });
      const b = f.scheduler({ leaseMs: LEASE_MS }, other.ctx);
      await a.start();
      await b.start();
      await a.stop();
      await f.at(T0 + 2 * SEC, b);
      expect(b.state.status).toBe("standby"); // it sleeps until the expiry it saw...
      await f.at(b.wakeAt!, b);
      expect(b.state.status).toBe("leading"); // ...but need not wait for a lease that was released
    } finally {
      await other.close();
    }
  });

  it("even two schedulers that both believe they lead fire each time once (row locks, the fire's key)", async () => {
    const other = await secondServer();
    try {
      const files: Record<string, string> = {};
      for (let i = 0; i < 20; i++)
        files[`w${i}.yaml`] =
          `name: w${i}\non:\n  schedule:\n    - {cron: "* * * * *"}\nsteps:\n  a: {run: "true"}\n`;
      await f.register(files);
      // No lease at all: each thinks it is the only one, as after a pause longer than the lease.
      const a: Scheduler = f.scheduler({ lease: new LocalLease(), batchSize: 3 });
      const b: Scheduler = f.scheduler({ lease: new LocalLease(), batchSize: 7 }, other.ctx);
      await a.start();
      await b.start();
      for (let minute = 1; minute <= 4; minute++) await f.at(T0 + minute * MIN, a, b);
      const ids = Array.from({ length: 20 }, (_, i) => `w${i}:0`);
      for (const id of ids)
        expect(await f.history(id)).toEqual(["1m:fired", "2m:fired", "3m:fired", "4m:fired"]);
      await checkExactlyOnce(ids);
      expect(f.errors()).toEqual([]);
    } finally {
      await other.close();
    }
  });
});
