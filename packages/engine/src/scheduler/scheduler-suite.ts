import path from "node:path";
import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, Selectable } from "kysely";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { ServiceContext } from "../service/context.js";
import { type RegisterResult, registerFolder } from "../service/register-folder.js";
import { withUnitOfWork } from "../service/unit-of-work.js";
import type { Database } from "../store/database.js";
import { getRun } from "../store/queries/get-run.js";
import { withScheduleTables } from "../store/queries/schedule-tables.js";
import type { RunsTable } from "../store/tables.js";
import { cancelRunInUnit } from "../testing/operations.js";
import { type Harness, openHarness } from "../testing/service-harness.js";
import { waitFor } from "../testing/wait-for.js";
import { fireScheduleNow } from "./fire-now.js";
import { Scheduler, type SchedulerEvent, type SchedulerOptions } from "./scheduler.js";
import { getScheduleStatus, listScheduleStatus, scheduleFires } from "./status.js";
import { suspendSchedule } from "./suspend.js";
import { syncSchedules } from "./sync.js";
import type { TimerLike } from "./timer.js";

export const T0 = Date.parse("2026-03-02T10:00:00Z");
export const SEC = 1000;
export const MIN = 60_000;
export const DAY = 86_400_000;
export const iso = (ms: number) => new Date(ms).toISOString();

/** A timer that never fires by itself: the test moves the clock and calls tick(). */
export const manualTimer: TimerLike = { set: () => undefined, clear: () => {} };

/** A clock the tests set; every part of the service reads it through `ctx.now`. */
export function testClock(start = T0) {
  const clock = { t: start, now: () => clock.t };
  return clock;
}

/** Fails the first insert of a fire record as a lost connection would: the run rows are written in its transaction. */
export function failFirstFireInsert(): KyselyPlugin {
  let failed = false;
  return {
    transformQuery(args: PluginTransformQueryArgs) {
      const node = args.node;
      // Kysely's insert, or insertMany's raw statement (on Postgres, with the batch's runs and jobs).
      const insert =
        node.kind === "InsertQueryNode" ||
        (node.kind === "RawNode" && JSON.stringify(node).includes("insert into"));
      if (!failed && insert && JSON.stringify(node).includes("schedule_fires")) {
        failed = true;
        throw Object.assign(new Error("connection terminated unexpectedly"), { code: "57P01" });
      }
      return node;
    },
    async transformResult(args: PluginTransformResultArgs) {
      return args.result;
    },
  };
}

/** What the suites share: a harness, a clock, workflows registered per test, schedulers stopped after. */
export function schedulerFixture(open: () => Promise<Database>) {
  const f = {
    h: undefined as unknown as Harness,
    clock: testClock(),
    ctx: undefined as unknown as ServiceContext,
    events: [] as Array<SchedulerEvent & { scheduler: string }>,
    schedulers: [] as Scheduler[],
    folder: 0,
    async register(files: Record<string, string>): Promise<RegisterResult> {
      const dir = `wf${f.folder++}`;
      for (const [name, text] of Object.entries(files)) f.h.tmp.write(`${dir}/${name}`, text);
      const result = await registerFolder(f.ctx, path.join(f.h.tmp.dir, dir));
      expect(result.problems).toEqual([]);
      return result;
    },
    scheduler(options: SchedulerOptions = {}, ctx?: ServiceContext): Scheduler {
      const scheduler: Scheduler = new Scheduler(ctx ?? f.ctx, {
        timer: manualTimer,
        leaseMs: DAY,
        ...options,
        onEvent: (event) => f.events.push({ ...event, scheduler: scheduler.id }),
      });
      f.schedulers.push(scheduler);
      return scheduler;
    },
    async at(time: number, ...schedulers: Scheduler[]): Promise<void> {
      f.clock.t = time;
      await Promise.all(schedulers.map((s) => s.tick()));
    },
    /** Lets time pass until `until` as the schedulers' own timers would: each wakes when it asked to. */
    async runUntil(until: number, ...schedulers: Scheduler[]): Promise<void> {
      for (let step = 0; step < 10_000; step++) {
        const due = schedulers
          .filter((s) => s.wakeAt !== undefined && s.wakeAt <= until)
          .sort((x, y) => (x.wakeAt as number) - (y.wakeAt as number))[0];
        if (!due) break;
        f.clock.t = Math.max(f.clock.t, due.wakeAt as number);
        await due.tick();
      }
      f.clock.t = until;
    },
    /** The runs a schedule started, oldest first, with their parsed trigger. */
    async runsOf(
      schedule: string,
    ): Promise<Array<Selectable<RunsTable> & { trigger: Record<string, unknown> }>> {
      const rows = await f.h.database.db.selectFrom("runs").selectAll().orderBy("created_at").execute();
      return rows
        .map((r) => ({ ...r, trigger: JSON.parse(r.trigger_json) as Record<string, unknown> }))
        .filter((r) => r.trigger.schedule === schedule);
    },
    /** A schedule's history, oldest first, as `<offset from T0>:<status>` strings. */
    async history(schedule: string, from = T0): Promise<string[]> {
      const fires = await scheduleFires(f.ctx, schedule, { limit: 1000 });
      return fires.reverse().map((x) => `${formatOffset(x.scheduledAt - from)}:${x.status}`);
    },
    errors(): string[] {
      return f.events.filter((e) => e.type === "error").map((e) => (e as { error: Error }).error.message);
    },
  };
  beforeAll(async () => {
    f.h = await openHarness(await open());
    f.ctx = { ...f.h.ctx, now: f.clock.now };
  });
  afterAll(async () => {
    await f.h?.close();
  });
  afterEach(async () => {
    for (const s of f.schedulers.splice(0)) await s.stop();
    await f.h.reset();
    const sdb = withScheduleTables(f.h.database.db);
    for (const table of ["schedule_fires", "schedules", "leases"] as const)
      await sdb.deleteFrom(table).execute();
    await f.h.database.db.deleteFrom("workflows").execute();
    f.events.length = 0;
    f.clock.t = T0;
  });
  return f;
}

function formatOffset(ms: number): string {
  if (ms % MIN === 0) return `${ms / MIN}m`;
  return `${ms / SEC}s`;
}

const workflow = (name: string, schedule: string, extra = "") =>
  `name: ${name}\n${extra}on:\n  schedule:\n${schedule}\nsteps:\n  a: {run: "true"}\n`;

/** The scheduler's contract, on each store: `scheduler.test.ts` (SQLite), `scheduler.services.test.ts` (Postgres). */
export function describeScheduler(name: string, open: () => Promise<Database>): void {
  describe(`scheduler on ${name}`, () => {
    const f = schedulerFixture(open);

    it("syncs schedules from the registered workflows and keeps suspend/resume across syncs", async () => {
      const entries = (nightlySuspend: string) =>
        workflow(
          "sync",
          `    - {cron: "*/5 * * * *", name: often}\n    - {cron: "30 2 * * *", name: nightly, timezone: Europe/Berlin${nightlySuspend}}`,
        );
      await f.register({ "sync.yaml": entries(", suspend: true") });
      expect(await withUnitOfWork(f.ctx, (tx) => syncSchedules(f.ctx, tx))).toEqual({
        added: ["sync:often", "sync:nightly"],
        changed: [],
        removed: [],
        problems: [],
      });
      const view = async () =>
        (await listScheduleStatus(f.ctx, { next: 2 })).map((s) => [s.id, s.state, s.next.map(iso)]);
      expect(await view()).toEqual([
        ["sync:often", "active", ["2026-03-02T10:05:00.000Z", "2026-03-02T10:10:00.000Z"]],
        ["sync:nightly", "suspended", []],
      ]);
      // Through the API: resume the one the file suspends, suspend the other. A sync keeps both.
      await withUnitOfWork(f.ctx, (tx) => suspendSchedule(f.ctx, tx, "sync:nightly", false));
      await withUnitOfWork(f.ctx, (tx) => suspendSchedule(f.ctx, tx, "sync:often", true));
      await f.register({ "sync.yaml": entries(", suspend: true") });
      expect(await withUnitOfWork(f.ctx, (tx) => syncSchedules(f.ctx, tx))).toMatchObject({
        added: [],
        changed: [],
        removed: [],
      });
      expect(await view()).toEqual([
        ["sync:often", "suspended", []],
        ["sync:nightly", "active", ["2026-03-03T01:30:00.000Z", "2026-03-04T01:30:00.000Z"]],
      ]);
      // When the file's own `suspend:` changes, the file wins (the later intent).
      await f.register({ "sync.yaml": entries(", suspend: false") });
      await withUnitOfWork(f.ctx, (tx) => syncSchedules(f.ctx, tx));
      await f.register({ "sync.yaml": entries(", suspend: true") });
      expect(await withUnitOfWork(f.ctx, (tx) => syncSchedules(f.ctx, tx))).toMatchObject({
        changed: ["sync:nightly"],
      });
      expect((await view())[1]).toEqual(["sync:nightly", "suspended", []]);
      // An entry that leaves the file leaves the table.
      await f.register({ "sync.yaml": workflow("sync", '    - {cron: "30 2 * * *", name: nightly}') });
      expect(await withUnitOfWork(f.ctx, (tx) => syncSchedules(f.ctx, tx))).toMatchObject({
        changed: ["sync:nightly"],
        removed: ["sync:often"],
      });
      await expect(getScheduleStatus(f.ctx, "sync:often")).rejects.toThrow("unknown schedule 'sync:often'");
      await expect(withUnitOfWork(f.ctx, (tx) => suspendSchedule(f.ctx, tx, "nope:0", true))).rejects.toThrow(
        "unknown schedule 'nope:0'",
      );
    });

    it("fires each time once, at its time, recording the schedule trigger; its one timer aims at the next time (2 s early, to prepare it)", async () => {
      await f.register({
        "tick.yaml": workflow(
          "tick",
          '    - {cron: "*/5 * * * *", inputs: {who: cron}}',
          "inputs:\n  who: {type: string, default: nobody}\n",
        ),
      });
      f.clock.t = T0 + SEC;
      const s = f.scheduler();
      await s.start();
      expect(s.state).toMatchObject({ status: "leading", since: T0 + SEC });
      expect(s.wakeAt).toBe(T0 + 5 * MIN - 2 * SEC);
      await f.at(T0 + 5 * MIN - 2 * SEC, s);
      expect(s.wakeAt).toBe(T0 + 5 * MIN);
      await f.at(T0 + 5 * MIN, s);
      const runs = await f.runsOf("tick:0");
      expect(runs).toHaveLength(1);
      expect(runs[0]?.trigger).toEqual({
        type: "schedule",
        schedule: "tick:0",
        scheduled_time: "2026-03-02T10:05:00.000Z",
      });
      expect(JSON.parse(runs[0]!.inputs_json)).toEqual({ who: "cron" });
      expect(runs[0]?.created_at).toBe(T0 + 5 * MIN);
      expect(runs[0]?.status).toBe("queued");
      expect(await scheduleFires(f.ctx, "tick:0")).toEqual([
        {
          scheduledAt: T0 + 5 * MIN,
          kind: "cron",
          status: "fired",
          runId: runs[0]?.id,
          reason: null,
          recordedAt: T0 + 5 * MIN,
        },
      ]);
      expect(s.wakeAt).toBe(T0 + 10 * MIN - 2 * SEC);
      // Woken again at the same time (or early): nothing more.
      await f.at(T0 + 5 * MIN, s);
      await f.at(T0 + 9 * MIN, s);
      expect(await f.runsOf("tick:0")).toHaveLength(1);
      const status = await getScheduleStatus(f.ctx, "tick:0", { next: 2 });
      expect(status.next.map(iso)).toEqual(["2026-03-02T10:10:00.000Z", "2026-03-02T10:15:00.000Z"]);
      expect(status.lastFire).toMatchObject({ scheduledAt: T0 + 5 * MIN, status: "fired" });
      expect(f.events.filter((e) => e.type === "fire")).toMatchObject([{ schedule: "tick:0", lateMs: 0 }]);
    });

    it("a restart at a fire time does not fire that time again", async () => {
      await f.register({ "restart.yaml": workflow("restart", '    - {cron: "* * * * *"}') });
      const first = f.scheduler();
      await first.start();
      await f.at(T0 + MIN, first);
      // Stopped as by a crash (the lease kept), started again at the very same instant.
      await first.stop({ release: false });
      const again = f.scheduler({ id: first.id });
      await again.start();
      await again.tick();
      expect(await f.runsOf("restart:0")).toHaveLength(1);
      await f.at(T0 + 2 * MIN, again);
      expect((await f.runsOf("restart:0")).map((r) => r.trigger.scheduled_time)).toEqual([
        "2026-03-02T10:01:00.000Z",
        "2026-03-02T10:02:00.000Z",
      ]);
      expect(await f.history("restart:0")).toEqual(["1m:fired", "2m:fired"]);
    });

    it("a fire whose transaction fails leaves no run behind, and fires once after the restart", async () => {
      await f.register({ "crash.yaml": workflow("crash", '    - {cron: "* * * * *"}') });
      const faulty = { ...f.h.database, db: f.h.database.db.withPlugin(failFirstFireInsert()) };
      const first = f.scheduler({}, { ...f.ctx, database: faulty });
      await first.start();
      await f.at(T0 + MIN, first);
      expect(f.errors()).toEqual(["connection terminated unexpectedly"]);
      // createRun had written the run and its job in the same transaction: both rolled back.
      expect(await f.h.database.db.selectFrom("runs").select("id").execute()).toEqual([]);
      expect(await f.h.database.db.selectFrom("jobs").select("id").execute()).toEqual([]);
      expect(await f.history("crash:0")).toEqual([]);
      await first.stop({ release: false });
      const again = f.scheduler({ id: first.id });
      await again.start();
      expect(await f.runsOf("crash:0")).toHaveLength(1);
      expect(await f.history("crash:0")).toEqual(["1m:fired"]);
    });

    it("after downtime, catch_up decides: none records the times missed, latest fires the last, all fires each", async () => {
      await f.register({
        "none.yaml": workflow("none", '    - {cron: "* * * * *", catch_up: none}'),
        "latest.yaml": workflow("latest", '    - {cron: "* * * * *"}'),
        "all.yaml": workflow("all", '    - {cron: "* * * * *", catch_up: all}'),
      });
      await withUnitOfWork(f.ctx, (tx) => syncSchedules(f.ctx, tx)); // the schedules exist from T0; no scheduler runs until 10:05:30
      f.clock.t = T0 + 5 * MIN + 30 * SEC;
      const s = f.scheduler();
      await s.start();
      expect(await f.history("none:0")).toEqual([
        "1m:missed",
        "2m:missed",
        "3m:missed",
        "4m:missed",
        "5m:missed",
      ]);
      expect(await f.history("latest:0")).toEqual([
        "1m:missed",
        "2m:missed",
        "3m:missed",
        "4m:missed",
        "5m:fired",
      ]);
      expect(await f.history("all:0")).toEqual(["1m:fired", "2m:fired", "3m:fired", "4m:fired", "5m:fired"]);
      expect((await scheduleFires(f.ctx, "none:0", { limit: 1 }))[0]?.reason).toBe(
        "no scheduler was running at this time (catch_up: none)",
      );
      expect(await f.runsOf("none:0")).toHaveLength(0);
      expect(await f.runsOf("all:0")).toHaveLength(5);
      // Back to normal: the next time fires for all three.
      expect(s.wakeAt).toBe(T0 + 6 * MIN - 2 * SEC);
      await f.runUntil(T0 + 6 * MIN, s);
      for (const id of ["none:0", "latest:0", "all:0"]) expect((await f.history(id)).at(-1)).toBe("6m:fired");
    });

    it("prepares a run ahead and writes it stamped at the fire, unless its workflow or schedule changed in between", async () => {
      const prep = (extra: string) =>
        workflow(
          "prep",
          '    - {cron: "*/5 * * * *", inputs: {who: cron}}',
          `inputs:\n  who: {type: string}\n${extra}`,
        );
      await f.register({ "prep.yaml": prep("") });
      f.clock.t = T0 + SEC;
      const s = f.scheduler();
      await s.start();
      const prepared = () => f.events.filter((e) => e.type === "prepared");
      const revision = async () =>
        (await f.h.database.db.selectFrom("workflows").select("revision").executeTakeFirstOrThrow()).revision;

      // Prepared 2 s ahead, written at the fire (late by 300 ms here): created then, its job available then.
      await f.at(T0 + 5 * MIN - 2 * SEC, s);
      expect(prepared()).toMatchObject([{ at: T0 + 5 * MIN, runs: 1 }]);
      expect(await f.runsOf("prep:0")).toHaveLength(0);
      await f.at(T0 + 5 * MIN + 300, s);
      const [first] = await f.runsOf("prep:0");
      expect(first).toMatchObject({ created_at: T0 + 5 * MIN + 300, revision: await revision() });
      const jobs = await f.h.database.db
        .selectFrom("jobs")
        .selectAll()
        .where("run_id", "=", first!.id)
        .execute();
      expect(jobs.map((j) => [j.created_at, j.available_at])).toEqual([
        [T0 + 5 * MIN + 300, T0 + 5 * MIN + 300],
      ]);

      // The workflow changes after its run was prepared: the fire starts the new revision instead.
      await f.at(T0 + 10 * MIN - 2 * SEC, s);
      expect(prepared()).toHaveLength(2);
      await f.register({ "prep.yaml": prep("env: {CHANGED: yes}\n") });
      const changed = await revision();
      expect(changed).not.toBe(first?.revision);
      await f.at(T0 + 10 * MIN, s);
      expect((await f.runsOf("prep:0")).map((r) => r.revision)).toEqual([first?.revision, changed]);

      // The schedule is suspended after its run was prepared: nothing fires.
      await f.at(T0 + 15 * MIN - 2 * SEC, s);
      expect(prepared()).toHaveLength(3);
      await withUnitOfWork(f.ctx, (tx) => suspendSchedule(f.ctx, tx, "prep:0", true));
      await f.runUntil(T0 + 20 * MIN, s);
      expect(await f.runsOf("prep:0")).toHaveLength(2);
      expect(await f.history("prep:0")).toEqual(["5m:fired", "10m:fired"]);
    });

    it("starting_deadline: a time that cannot start within it is recorded missed", async () => {
      await f.register({
        "deadline.yaml": workflow(
          "deadline",
          '    - {cron: "* * * * *", starting_deadline: 30s, catch_up: all}',
        ),
      });
      const s = f.scheduler();
      await s.start();
      // The scheduler was held up (a long pause, the database away) until 10:01:45.
      await f.at(T0 + MIN + 45 * SEC, s);
      await f.at(T0 + 2 * MIN + 10 * SEC, s);
      expect(await f.history("deadline:0")).toEqual(["1m:missed", "2m:fired"]);
      expect((await scheduleFires(f.ctx, "deadline:0"))[1]?.reason).toBe(
        "could not start within the starting deadline (30 s after its time)",
      );
    });

    it("concurrency: forbid skips a time while the schedule's run is active", async () => {
      await f.register({
        "forbid.yaml": workflow("forbid", '    - {cron: "* * * * *", concurrency: forbid}'),
      });
      const s = f.scheduler();
      await s.start();
      await f.at(T0 + MIN, s);
      const [first] = await f.runsOf("forbid:0");
      await f.at(T0 + 2 * MIN, s); // the first run is still queued (no worker here)
      const fires = await scheduleFires(f.ctx, "forbid:0");
      expect(fires[0]).toMatchObject({
        status: "skipped",
        runId: null,
        reason: `run ${first?.id} of this schedule is still active (concurrency: forbid)`,
      });
      await cancelRunInUnit(f.ctx, first!.id);
      await f.at(T0 + 3 * MIN, s);
      expect(await f.history("forbid:0")).toEqual(["1m:fired", "2m:skipped", "3m:fired"]);
    });

    it("concurrency: replace cancels the schedule's active run and starts the new one", async () => {
      await f.register({
        "replace.yaml": workflow("replace", '    - {cron: "* * * * *", concurrency: replace}'),
      });
      const s = f.scheduler();
      await s.start();
      await f.at(T0 + MIN, s);
      await f.at(T0 + 2 * MIN, s);
      const [first, second] = await f.runsOf("replace:0");
      expect((await getRun(f.h.database.db, first!.id))?.status).toBe("cancelled");
      expect(second?.status).toBe("queued");
      expect((await scheduleFires(f.ctx, "replace:0"))[0]).toMatchObject({
        status: "fired",
        runId: second?.id,
        reason: `cancelled run ${first?.id} of this schedule (concurrency: replace)`,
      });
    });

    it("suspend stops the fires at once; resume fires from the next time on, without catching up", async () => {
      await f.register({ "pause.yaml": workflow("pause", '    - {cron: "* * * * *"}') });
      const s = f.scheduler();
      await s.start();
      await f.at(T0 + MIN, s);
      await withUnitOfWork(f.ctx, (tx) => suspendSchedule(f.ctx, tx, "pause:0", true));
      await s.tick();
      expect(s.nextDue()).toBeUndefined();
      await f.at(T0 + 3 * MIN + 30 * SEC, s);
      await withUnitOfWork(f.ctx, (tx) => suspendSchedule(f.ctx, tx, "pause:0", false));
      await s.tick();
      expect(s.nextDue()).toBe(T0 + 4 * MIN);
      await f.at(T0 + 4 * MIN, s);
      expect(await f.history("pause:0")).toEqual(["1m:fired", "4m:fired"]);
    });

    it("fire now starts a run at once, recorded as a manual fire, also while suspended", async () => {
      await f.register({ "manual.yaml": workflow("manual", '    - {cron: "0 3 * * *", suspend: true}') });
      const s = f.scheduler();
      await s.start();
      f.clock.t = T0 + 7 * SEC;
      const fired = await fireScheduleNow(f.ctx, "manual:0");
      expect(fired).toMatchObject({ status: "queued", scheduledAt: T0 + 7 * SEC });
      const [run] = await f.runsOf("manual:0");
      expect(run?.id).toBe(fired.runId);
      expect(run?.trigger).toEqual({
        type: "schedule",
        schedule: "manual:0",
        scheduled_time: "2026-03-02T10:00:07.000Z",
        manual: true,
      });
      expect(await scheduleFires(f.ctx, "manual:0")).toMatchObject([
        { kind: "manual", status: "fired", runId: fired.runId, scheduledAt: T0 + 7 * SEC },
      ]);
      await expect(fireScheduleNow(f.ctx, "manual:9")).rejects.toThrow("unknown schedule 'manual:9'");
    });

    it("a run that cannot start is recorded as failed, and the other schedules in its batch still fire", async () => {
      await f.register({
        "good.yaml": workflow("good", '    - {cron: "* * * * *"}'),
        "bad.yaml": workflow("bad", '    - {cron: "* * * * *"}'),
      });
      await withUnitOfWork(f.ctx, (tx) => syncSchedules(f.ctx, tx));
      // Inputs the workflow does not take (as after a change the loader could not catch).
      await withScheduleTables(f.h.database.db)
        .updateTable("schedules")
        .set({ inputs_json: '{"bogus":1}', updated_at: T0 + 1 })
        .where("id", "=", "bad:0")
        .execute();
      const s = f.scheduler({ lanes: 1, sync: false });
      await s.start();
      await f.at(T0 + MIN, s);
      expect(await f.history("good:0")).toEqual(["1m:fired"]);
      expect(await f.history("bad:0")).toEqual(["1m:failed"]);
      expect((await scheduleFires(f.ctx, "bad:0"))[0]?.reason).toMatch(/unknown input 'bogus'/);
      await f.at(T0 + 2 * MIN, s);
      expect(await f.history("good:0")).toEqual(["1m:fired", "2m:fired"]);
    });

    it("across Europe/Berlin's DST changes a 02:30 daily schedule fires once a day (03:00 on the spring-forward day)", async () => {
      await f.register({
        "berlin.yaml": workflow("berlin", '    - {cron: "30 2 * * *", timezone: Europe/Berlin}'),
        "kathmandu.yaml": workflow("kathmandu", '    - {cron: "0 9 * * *", timezone: Asia/Kathmandu}'),
      });
      const fired = async (from: string, until: string) => {
        f.clock.t = Date.parse(from);
        const s = f.scheduler({ leaseMs: 30 * DAY });
        await s.start();
        while ((s.nextDue() ?? Number.POSITIVE_INFINITY) <= Date.parse(until)) await f.at(s.nextDue()!, s);
        await s.stop();
        return (await f.runsOf("berlin:0")).map((r) => `${r.trigger.scheduled_time}`);
      };
      expect(await fired("2026-03-27T12:00:00Z", "2026-03-31T12:00:00Z")).toEqual([
        "2026-03-28T01:30:00.000Z", // 02:30 CET
        "2026-03-29T01:00:00.000Z", // 02:30 does not exist: 03:00 CEST
        "2026-03-30T00:30:00.000Z", // 02:30 CEST
        "2026-03-31T00:30:00.000Z",
      ]);
      // Start afresh in October (otherwise the months in between are a downtime to catch up).
      await f.h.reset();
      await withScheduleTables(f.h.database.db).deleteFrom("schedules").execute();
      expect(await fired("2026-10-23T12:00:00Z", "2026-10-26T12:00:00Z")).toEqual([
        "2026-10-24T00:30:00.000Z", // 02:30 CEST
        "2026-10-25T00:30:00.000Z", // the first 02:30 (CEST); the second (CET, 01:30Z) does not fire
        "2026-10-26T01:30:00.000Z", // 02:30 CET
      ]);
      expect((await f.runsOf("kathmandu:0")).map((r) => r.trigger.scheduled_time)).toEqual([
        "2026-10-24T03:15:00.000Z",
        "2026-10-25T03:15:00.000Z",
        "2026-10-26T03:15:00.000Z",
      ]);
    });

    it("on the real clock and timer, an every-second schedule fires within milliseconds of each second", async () => {
      await f.register({ "second.yaml": workflow("second", '    - {cron: "* * * * * *"}') });
      const s = new Scheduler(
        { ...f.ctx, now: () => Date.now() },
        { onEvent: (e) => f.events.push({ ...e, scheduler: "real" }) },
      );
      f.schedulers.push(s);
      await s.start();
      const fires = await waitFor(
        () => {
          const seen = f.events.filter((e) => e.type === "fire");
          return seen.length >= 3 ? seen : undefined;
        },
        { timeoutMs: 6000, what: "three fires" },
      );
      await s.stop();
      for (const fire of fires) {
        expect(fire).toMatchObject({ schedule: "second:0", status: "fired" });
        expect((fire as { lateMs: number }).lateMs).toBeLessThan(500);
      }
      const times = (await f.runsOf("second:0")).map((r) => Date.parse(String(r.trigger.scheduled_time)));
      expect(new Set(times).size).toBe(times.length);
      expect(times.every((t) => t % SEC === 0)).toBe(true);
    });
  });
}
