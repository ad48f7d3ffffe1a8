import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PgNotifier } from "../queue/pg-notifier.js";
import { LocalRunner } from "../runners/local/local-runner.js";
import type { ServiceContext } from "../service/context.js";
import { processState } from "../service/process-state.js";
import { registerFolder } from "../service/register-folder.js";
import { SecretBox } from "../service/secret-box.js";
import { type Database, openDatabase } from "../store/database.js";
import { getRun } from "../store/queries/get-run.js";
import { postgresDatabase } from "../testing/databases.js";
import { createRunInUnit } from "../testing/operations.js";
import { tempDir } from "../testing/temp-dir.js";
import { waitFor } from "../testing/wait-for.js";
import { createWorker } from "./create-worker.js";
import type { Worker } from "./worker.js";

const WIDTH = 60;
const WORKERS = 3;
const ROUNDS = 3;

/** start -> p0..p59 -> join: the join's needs are met by whichever of 60 steps finishes last. */
function fanInWorkflow(log: string): string {
  const parallel = Array.from({ length: WIDTH }, (_, i) => `p${i}`);
  const lines = ["name: fan-in", "steps:", "  start:", `    run: echo "start $GANTRY_RUN_ID" >> "${log}"`];
  for (const [i, id] of parallel.entries()) {
    lines.push(
      `  ${id}:`,
      "    needs: start",
      "    run: |",
      `      echo "${id} $GANTRY_RUN_ID" >> "${log}"`,
      `      echo "v=${i}" >> "$GANTRY_OUTPUT"`,
    );
  }
  const sum = parallel.map((id) => `\${{ steps.${id}.outputs.v }}`).join(" + ");
  lines.push(
    "  join:",
    `    needs: [${parallel.join(", ")}]`,
    "    run: |",
    `      echo "join $GANTRY_RUN_ID" >> "${log}"`,
    `      echo "sum=$(( ${sum} ))" >> "$GANTRY_OUTPUT"`,
    "outputs:",
    `  sum: \${{ steps.join.outputs.sum }}`,
  );
  return `${lines.join("\n")}\n`;
}

describe("wide fan-in on PostgreSQL with several workers", () => {
  const tmp = tempDir("gantry-fan-in-");
  const log = path.join(tmp.dir, "executions.log");
  const box = new SecretBox(randomBytes(32));
  let database: Database;
  let ctx: ServiceContext;
  const pools: Database[] = [];
  const notifiers: PgNotifier[] = [];
  const workers: Worker[] = [];
  const errors: Error[] = [];

  beforeAll(async () => {
    database = await postgresDatabase();
    const notifier = await PgNotifier.start(database.url!, database.pool!);
    notifiers.push(notifier);
    ctx = { database, box, notifier, now: () => Date.now(), ...processState() };
    tmp.write("wf/fan-in.yaml", fanInWorkflow(log));
    const { registered, problems } = await registerFolder(ctx, path.join(tmp.dir, "wf"));
    expect(problems).toEqual([]);
    expect(registered).toEqual(["fan-in"]);
    // Each worker as its own process would be: its own pool and its own LISTEN connection.
    for (let i = 0; i < WORKERS; i++) {
      const own = await openDatabase(database.url!, { poolSize: 10 });
      pools.push(own);
      const ownNotifier = await PgNotifier.start(own.url!, own.pool!);
      notifiers.push(ownNotifier);
      const worker = createWorker(
        { database: own, box, notifier: ownNotifier, now: () => Date.now(), ...processState() },
        {
          id: `fan-in-${i}`,
          concurrency: 8,
          cacheDir: path.join(tmp.dir, `cache-${i}`),
          runner: new LocalRunner({ tmpRoot: tmp.dir, killGraceMs: 500 }),
          graceMs: 2000,
          onError: (error) => errors.push(error),
        },
      );
      workers.push(worker);
      await worker.start();
    }
  });

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    for (const notifier of notifiers) await notifier.close();
    for (const pool of pools) await pool.close();
    await database?.close();
    tmp.cleanup();
  });

  it(`runs join exactly once after ${WIDTH} parallel steps, ${ROUNDS} times in a row`, async () => {
    const expectedSum = String((WIDTH * (WIDTH - 1)) / 2);
    for (let round = 0; round < ROUNDS; round++) {
      const { id } = await createRunInUnit(ctx, { workflow: "fan-in" });
      const row = await waitFor(
        async () => {
          const run = await getRun(database.db, id);
          return run && !["queued", "running"].includes(run.status) ? run : undefined;
        },
        { timeoutMs: 40_000, intervalMs: 50, what: `fan-in run ${round + 1} to end` },
      );
      expect(row.status, row.error ?? "").toBe("succeeded");
      expect(JSON.parse(row.outputs_json!)).toEqual({ sum: expectedSum });

      const attempts = await database.db
        .selectFrom("step_attempts")
        .select(["step", "attempt", "status", "worker_id"])
        .where("run_id", "=", id)
        .execute();
      const byStep = new Map<string, number>();
      for (const a of attempts) byStep.set(a.step, (byStep.get(a.step) ?? 0) + 1);
      expect(byStep.get("join")).toBe(1);
      expect(byStep.get("start")).toBe(1);
      for (let i = 0; i < WIDTH; i++) expect(byStep.get(`p${i}`), `p${i}`).toBe(1);
      expect(attempts).toHaveLength(WIDTH + 2);
      expect(attempts.every((a) => a.status === "succeeded" && a.attempt === 1)).toBe(true);
      // More than one worker took part: the steps really raced each other.
      expect(new Set(attempts.map((a) => a.worker_id)).size).toBeGreaterThan(1);

      // The processes that ran, not just the rows: each step's command ran exactly once.
      const ran = readFileSync(log, "utf8")
        .split("\n")
        .filter((line) => line.endsWith(` ${id}`))
        .map((line) => line.split(" ")[0]);
      expect(ran).toHaveLength(WIDTH + 2);
      expect(new Set(ran).size).toBe(WIDTH + 2);
      expect(ran.filter((s) => s === "join")).toEqual(["join"]);

      expect(await database.db.selectFrom("jobs").select("id").execute()).toEqual([]);
    }
    expect(errors).toEqual([]);
  });
});
