// Idle database load: one server and two workers on Postgres with nothing to do, and the transactions
// per second they cause, from pg_stat_database (xact_commit + xact_rollback of the bench's database,
// sampled at the start and the end of the window). The samples are asked on the `postgres` maintenance
// database, so they do not count themselves. Postgres publishes a connection's counts when it goes idle,
// but up to 10 s late when it published less than a second before: the window opens only after the
// roles have been idle longer than that, so the start-up's migrations cannot land in it.
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { adminClient, createDatabase, postgresUnavailable, transactionCount } from "../lib/postgres.mjs";
import { sleep, startCluster, writeConfig } from "../lib/service.mjs";

const TARGET = 2;
const LABEL = "Postgres (1 server, 2 workers)";
const SETTLE_MS = 12_000;

export default {
  id: "idle",
  name: "idle database load",
  kind: "service",
  async measure(ctx) {
    const unavailable = await postgresUnavailable();
    if (unavailable) return { rows: [], skipped: [`${LABEL}: no PostgreSQL (${unavailable})`] };
    const windowSeconds = ctx.quick ? 15 : 60;
    const dir = path.join(ctx.workDir, "idle");
    const wfDir = path.join(dir, "workflows");
    await mkdir(wfDir, { recursive: true });
    const config = path.join(dir, "gantry.yaml");
    await writeConfig(config, { lease: 30, poll: 5, concurrency: 4, grace: 2 });
    const database = await createDatabase("idle");
    const admin = await adminClient();
    let perSecond;
    let transactions;
    try {
      const cluster = await startCluster(ctx, { url: database.url, dir: wfDir, config, data: dir });
      try {
        ctx.log(`idle database load: settling ${SETTLE_MS / 1000} s, then ${windowSeconds} s of idling`);
        await sleep(SETTLE_MS);
        const before = await transactionCount(admin, database.name);
        const start = performance.now();
        // Sleep in steps, so a role that dies is noticed.
        while (performance.now() - start < windowSeconds * 1000) {
          for (const role of cluster.roles) role.check();
          await sleep(Math.min(1_000, windowSeconds * 1000 - (performance.now() - start)));
        }
        const after = await transactionCount(admin, database.name);
        const seconds = (performance.now() - start) / 1000;
        transactions = after - before;
        perSecond = transactions / seconds;
      } finally {
        await cluster.stop();
      }
    } finally {
      await admin.end();
      await database.drop();
    }
    return {
      rows: [
        {
          workload: "idle database load",
          backend: LABEL,
          measure: `xact/s over ${windowSeconds} s`,
          value: perSecond,
          target: `< ${TARGET}`,
          met: perSecond < TARGET,
        },
      ],
      transactions,
      windowSeconds,
    };
  },
};
