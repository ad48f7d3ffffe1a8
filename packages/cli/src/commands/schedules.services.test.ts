import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor as pollFor } from "../../../engine/src/testing/wait-for.js";
import { bin } from "../testing/gantry-process.js";

// Two `gantry server` processes on one PostgreSQL database, as in production: one fires, the other
// stands by; SIGKILL the one that fires and the other takes over within the lease time (15 s).
const PG_BASE = process.env.GANTRY_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432";
const dbName = `gantry_schedules_${process.pid}`;
const dbUrl = `${PG_BASE}/${dbName}`;
const LEASE_MS = 15_000;

interface Server {
  child: ChildProcess;
  log: () => string;
}

let admin: pg.Client;
let dir: string;
const children = new Set<ChildProcess>();

/** The shared poll, with the question first (as these tests read best) and a slower 100 ms poll. */
function waitFor<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000) {
  return pollFor(check, { what, timeoutMs, intervalMs: 100 });
}

function startServer(n: number): Promise<Server> {
  const child = spawn(
    process.execPath,
    [
      bin,
      "server",
      "--database",
      dbUrl,
      "--dir",
      "flows",
      "--port",
      "0",
      "--migrate",
      "--config",
      "gantry.yaml",
    ],
    { cwd: dir, env: { ...process.env, NO_COLOR: "1", GANTRY_DATA: path.join(dir, `data-${n}`) } },
  );
  children.add(child);
  child.on("exit", () => children.delete(child));
  let text = "";
  child.stderr?.on("data", (d: Buffer) => {
    text += d;
  });
  return waitFor(`server ${n} to start`, () =>
    /listening on/.test(text) ? { child, log: () => text } : undefined,
  );
}

async function query<T extends pg.QueryResultRow>(text: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: dbUrl });
  await client.connect();
  try {
    return (await client.query<T>(text, params)).rows;
  } finally {
    await client.end();
  }
}

describe("the scheduler in two gantry server processes on PostgreSQL", () => {
  beforeAll(async () => {
    admin = new pg.Client({ connectionString: `${PG_BASE}/postgres` });
    try {
      await admin.connect();
    } catch (error) {
      throw new Error(
        `PostgreSQL is not reachable at ${PG_BASE}: ${(error as Error).message}. Start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`,
      );
    }
    await admin.query(`DROP DATABASE IF EXISTS ${dbName}`);
    await admin.query(`CREATE DATABASE ${dbName}`);
    dir = mkdtempSync(path.join(os.tmpdir(), "gantry-schedules-ha-"));
    mkdirSync(path.join(dir, "flows"));
    writeFileSync(
      path.join(dir, "gantry.yaml"),
      `encryption_key: ${Buffer.alloc(32, 9).toString("base64")}\n`,
    );
    writeFileSync(
      path.join(dir, "flows", "tick.yaml"),
      `name: tick
on:
  schedule:
    - {cron: "* * * * * *", name: none, catch_up: none}
    - {cron: "* * * * * *", name: latest, catch_up: latest}
steps:
  a: {run: "true"}
`,
    );
  });

  afterAll(async () => {
    for (const child of children) child.kill("SIGKILL");
    await waitFor("children to exit", () => children.size === 0);
    await admin?.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await admin?.end();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("exactly one fires each second; when it is killed the other takes over within the lease time", async () => {
    const a = await startServer(1);
    await waitFor("server 1 to lead", () => /scheduler: leading/.test(a.log()));
    const b = await startServer(2);
    await waitFor("server 2 to stand by", () => /scheduler: standing by/.test(b.log()));
    // Let a few seconds fire, then kill the leader without any chance to clean up.
    await waitFor(
      "three fires",
      async () => Number((await query<{ n: string }>("select count(*) as n from schedule_fires"))[0]?.n) >= 6,
      10_000,
    );
    const killedAt = Date.now();
    a.child.kill("SIGKILL");
    await waitFor("server 2 to lead", () => /scheduler: leading/.test(b.log()), LEASE_MS + 10_000);
    const tookOverAfter = Date.now() - killedAt;
    expect(tookOverAfter).toBeLessThan(LEASE_MS + 2_000);
    // Some fires by the new leader.
    const since = Date.now();
    await waitFor(
      "fires after the take-over",
      async () =>
        Number(
          (
            await query<{ n: string }>("select count(*) as n from schedule_fires where recorded_at > $1", [
              since + 2_000,
            ])
          )[0]?.n,
        ) >= 2,
      10_000,
    );
    b.child.kill("SIGTERM");
    await waitFor("server 2 to stop", () => b.child.exitCode !== null);

    for (const schedule of ["tick:none", "tick:latest"]) {
      const fires = await query<{ scheduled_at: string; status: string; run_id: string | null }>(
        "select scheduled_at, status, run_id from schedule_fires where schedule_id = $1 and kind = 'cron' order by scheduled_at",
        [schedule],
      );
      const times = fires.map((f) => Number(f.scheduled_at));
      // Every second from the first fire to the last has exactly one record: none missing, none twice.
      for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBe(1000);
      const runs = await query<{ id: string; scheduled_time: string }>(
        "select id, trigger_json::jsonb->>'scheduled_time' as scheduled_time from runs where trigger_json::jsonb->>'schedule' = $1",
        [schedule],
      );
      expect(new Set(runs.map((r) => r.scheduled_time)).size).toBe(runs.length);
      expect(runs.map((r) => r.id).sort()).toEqual(
        fires
          .filter((f) => f.status === "fired")
          .map((f) => f.run_id)
          .sort(),
      );
      // The seconds without a leader: missed (none), or missed but the latest of them fired (latest).
      const missed = fires.filter((f) => f.status === "missed").length;
      expect(missed).toBeGreaterThanOrEqual(schedule === "tick:none" ? 2 : 1);
      expect(missed).toBeLessThanOrEqual(LEASE_MS / 1000 + 2);
    }
    const gapNone = (
      await query<{ status: string }>(
        "select status from schedule_fires where schedule_id = 'tick:none' and status = 'missed'",
      )
    ).length;
    const gapLatest = (
      await query<{ status: string }>(
        "select status from schedule_fires where schedule_id = 'tick:latest' and status = 'missed'",
      )
    ).length;
    // Same gap for both; `latest` fired one of its missed seconds (the last).
    expect(Math.abs(gapNone - 1 - gapLatest)).toBeLessThanOrEqual(1);
  });
});
