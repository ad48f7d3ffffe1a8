import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import S3rver from "s3rver";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type PrivatePostgres, startPrivatePostgres } from "../../engine/src/testing/private-postgres.js";
import { type PrivateRabbitmq, startPrivateRabbitmq } from "../../engine/src/testing/private-rabbitmq.js";
import { waitFor } from "../../engine/src/testing/wait-for.js";
import { Cluster, type GantryProcess } from "./testing/faults/cluster.js";
import { ledgerScript } from "./testing/faults/ledger.js";
import {
  type FaultResult,
  faultTable,
  postgresReader,
  runScenario,
  sqliteReader,
} from "./testing/faults/scenario.js";

// The fault suite: real `gantry server` and `gantry worker` processes on a PostgreSQL cluster of its own
// (restarted and cut off here, which must never happen to the machine's shared server), 50 two-step runs
// in flight per fault. It prints a table of what each fault cost; docs/reliability.md keeps the last one.
const RUNS = 50;
const KEY = Buffer.alloc(32, 9).toString("base64");

let postgres: PrivatePostgres;
let dir: string;
let cluster: Cluster;
let database: string;
const results: FaultResult[] = [];

const two = (name: string, extra = "", print = "") =>
  [
    `name: ${name}`,
    "steps:",
    "  a:",
    `    run: |\n${indent(ledgerScript(ledgerPath(), 2, print), 6)}`,
    extra,
    "  b:",
    "    needs: a",
    `    run: |\n${indent(ledgerScript(ledgerPath(), 2, print), 6)}`,
    extra,
  ]
    .filter(Boolean)
    .join("\n");

const indent = (text: string, n: number) =>
  text
    .split("\n")
    .map((l) => " ".repeat(n) + l)
    .join("\n");
const ledgerPath = () => path.join(dir, "ledger");

async function adminQuery(text: string, params: unknown[] = []) {
  const client = new pg.Client({ connectionString: postgres.url("postgres") });
  client.on("error", () => {});
  await client.connect();
  try {
    return await client.query(text, params);
  } finally {
    await client.end();
  }
}

/** A server and two workers on the private cluster. */
async function startCluster(config = "gantry.yaml") {
  const server = await cluster.server(database, config, "data-server");
  const workers = [
    await cluster.worker(database, config, "data-w1"),
    await cluster.worker(database, config, "data-w2"),
  ];
  return { server, workers };
}

describe("fault suite (real processes, a private PostgreSQL cluster)", () => {
  beforeAll(async () => {
    postgres = await startPrivatePostgres();
    database = postgres.url("gantry_faults");
    await adminQuery("CREATE DATABASE gantry_faults");
    dir = mkdtempSync(path.join(os.tmpdir(), "gantry-fault-suite-"));
    mkdirSync(path.join(dir, "flows"));
    writeFileSync(path.join(dir, "flows", "two.yaml"), two("two"));
    writeFileSync(path.join(dir, "flows", "two-retry.yaml"), two("two-retry", "    retry: {attempts: 2}"));
    // 200 lines of 60 bytes a step: a log too big for the archive's one-page shortcut, so it is spooled.
    writeFileSync(
      path.join(dir, "flows", "two-print.yaml"),
      two(
        "two-print",
        "",
        'for i in $(seq 200); do echo "line $i of $GANTRY_STEP_ID of $GANTRY_RUN_ID"; done',
      ),
    );
    // Leases of 5 s: a lost worker's tries move on in seconds; renewals every 1.7 s.
    writeFileSync(
      path.join(dir, "gantry.yaml"),
      `worker:\n  lease: 5\n  poll: 1\n  grace: 1\nencryption_key: ${KEY}\n`,
    );
    // The default lease (30 s) where the database goes away: a lease survives a short outage, which is
    // what those tests show.
    writeFileSync(
      path.join(dir, "default-lease.yaml"),
      `worker:\n  poll: 1\n  grace: 1\nencryption_key: ${KEY}\n`,
    );
    // s3rver's credentials, for the processes of the S3 tests (the server reads the archive too).
    cluster = new Cluster(dir, {
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
      AWS_ACCESS_KEY_ID: "S3RVER",
      AWS_SECRET_ACCESS_KEY: "S3RVER",
    });
  }, 180_000);

  afterEach(async () => {
    await cluster.killAll();
    rmSync(ledgerPath(), { force: true });
  });

  afterAll(async () => {
    await cluster?.killAll();
    postgres?.remove();
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (results.length > 0)
      console.log(`\nFault suite (${RUNS} two-step runs in flight per fault):\n\n${faultTable(results)}\n`);
  }, 120_000);

  const expectNothingLost = (r: FaultResult) => {
    expect(r, JSON.stringify(r)).toMatchObject({ failed: 0, lost: 0, doubled: 0, stuck: 0 });
  };

  it("no fault: the baseline the recovery times compare with", async () => {
    const { server } = await startCluster();
    const result = await runScenario({
      fault: "none (baseline)",
      url: () => server.url,
      store: postgresReader(database),
      workflow: "two",
      runs: RUNS,
      ledger: ledgerPath(),
      inject: async () => {},
    });
    results.push(result);
    expectNothingLost(result);
    expect(result.lostTries).toBe(0);
  }, 400_000);

  it("SIGKILL of a worker mid-step, without retry: its tries move to the other workers", async () => {
    const { server, workers } = await startCluster();
    const result = await runScenario({
      fault: "SIGKILL of a worker (no `retry`)",
      url: () => server.url,
      store: postgresReader(database),
      workflow: "two",
      runs: RUNS,
      ledger: ledgerPath(),
      inject: async () => {
        await cluster.kill(workers[0]!);
        await cluster.worker(database, "gantry.yaml", "data-w3");
      },
    });
    results.push(result);
    expectNothingLost(result);
    expect(result.lostTries).toBeGreaterThan(0);
  }, 400_000);

  it("SIGKILL of a worker mid-step, with retry: the lost tries do not use up the retries", async () => {
    const { server, workers } = await startCluster();
    const result = await runScenario({
      fault: "SIGKILL of a worker (`retry: {attempts: 2}`)",
      url: () => server.url,
      store: postgresReader(database),
      workflow: "two-retry",
      runs: RUNS,
      ledger: ledgerPath(),
      inject: async () => {
        await cluster.kill(workers[0]!);
        await cluster.worker(database, "gantry.yaml", "data-w3");
      },
    });
    results.push(result);
    expectNothingLost(result);
    expect(result.lostTries).toBeGreaterThan(0);
  }, 400_000);

  it("SIGKILL of the server mid-run: a new server takes over, the workers carry on", async () => {
    const started = await startCluster();
    let url = started.server.url;
    const result = await runScenario({
      fault: "SIGKILL of the server",
      url: () => url,
      store: postgresReader(database),
      workflow: "two",
      runs: RUNS,
      ledger: ledgerPath(),
      inject: async () => {
        await cluster.kill(started.server.process);
        url = (await cluster.server(database, "gantry.yaml", "data-server")).url;
      },
    });
    results.push(result);
    expectNothingLost(result);
    expect(result.lostTries).toBe(0);
  }, 400_000);

  it("PostgreSQL restarted 5 times in a row: every process stays up and keeps its leases", async () => {
    const { server } = await startCluster("default-lease.yaml");
    const result = await runScenario({
      fault: "PostgreSQL restarted ×5",
      url: () => server.url,
      store: postgresReader(database),
      workflow: "two",
      runs: RUNS,
      ledger: ledgerPath(),
      inject: async () => {
        for (let i = 0; i < 5; i++) postgres.restart();
      },
    });
    results.push(result);
    expectNothingLost(result);
    expect(result.lostTries).toBe(0);
    expect(cluster.running).toBe(3);
  }, 400_000);

  it("every connection terminated 5 times (pg_terminate_backend): every process stays up", async () => {
    const { server } = await startCluster("default-lease.yaml");
    const result = await runScenario({
      fault: "connections terminated ×5",
      url: () => server.url,
      store: postgresReader(database),
      workflow: "two",
      runs: RUNS,
      ledger: ledgerPath(),
      inject: async () => {
        for (let i = 0; i < 5; i++) {
          // Only this suite's own database, on its own cluster.
          const killed = await adminQuery(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'gantry_faults' AND pid <> pg_backend_pid()",
          );
          expect(killed.rowCount).toBeGreaterThan(0);
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
      },
    });
    results.push(result);
    expectNothingLost(result);
    expect(result.lostTries).toBe(0);
    expect(cluster.running).toBe(3);
  }, 400_000);

  it("gantry up (SQLite) killed with SIGKILL mid-step and started again on the same data: its runs resume", async () => {
    const data = path.join(dir, "data-up");
    const up = () =>
      cluster.start(
        [
          "up",
          "--port",
          "0",
          "--data",
          data,
          "--dir",
          "flows",
          "--config",
          "gantry.yaml",
          "--concurrency",
          "8",
        ],
        /Gantry is up: (http:\/\/\S+)/,
      );
    let current = await up();
    const result = await runScenario({
      fault: "SIGKILL of `gantry up` (SQLite), started again",
      url: () => current.match[1] as string,
      store: await sqliteReader(path.join(data, "gantry.db")),
      workflow: "two",
      runs: RUNS,
      ledger: ledgerPath(),
      inject: async () => {
        await cluster.kill(current);
        current = await up();
      },
    });
    results.push(result);
    expectNothingLost(result);
    expect(result.lostTries).toBeGreaterThan(0);
  }, 400_000);

  describe("the log archive (S3, s3rver) and the log spool", () => {
    let s3: S3rver | undefined;
    let s3Port = 0;
    const s3Dir = () => path.join(dir, "s3");
    const startS3 = async () => {
      s3 = new S3rver({
        port: s3Port,
        address: "127.0.0.1",
        silent: true,
        directory: s3Dir(),
        configureBuckets: [{ name: "logs", configs: [] }],
      });
      s3Port = ((await s3.run()) as AddressInfo).port;
    };
    const stopS3 = async () => {
      // The SDK keeps connections alive; drop them so close() does not wait for them to idle out.
      (s3 as unknown as { httpServer: { closeAllConnections(): void } }).httpServer.closeAllConnections();
      await s3?.close();
      s3 = undefined;
    };
    // A lease of 15 s: on a loaded 2-core machine renewals every 1.7 s (a 5 s lease) came late while
    // steps failed to reach S3, and steps were stopped as lost, which is not what these tests look at.
    const s3Config = () => {
      writeFileSync(
        path.join(dir, "s3.yaml"),
        `worker:\n  lease: 15\n  poll: 1\n  grace: 1\nencryption_key: ${KEY}\nlogs:\n  s3: {bucket: logs, endpoint: "http://127.0.0.1:${s3Port}", region: us-east-1, force_path_style: true}\n`,
      );
      return "s3.yaml";
    };
    const archived = async (ids: string[]) => {
      const client = new pg.Client({ connectionString: database });
      await client.connect();
      try {
        const { rows } = await client.query<{ n: string }>(
          "SELECT count(*) AS n FROM log_archives WHERE run_id = ANY($1)",
          [ids],
        );
        return Number(rows[0]?.n);
      } finally {
        await client.end();
      }
    };
    /** Every line of a sample of the runs is served by the API, from the archive or the store. */
    const readable = async (url: string, ids: string[]) => {
      for (const id of ids.slice(0, 5)) {
        const text = await (await fetch(`${url}/api/v1/runs/${id}/logs`)).text();
        for (const step of ["a", "b"])
          for (const n of [1, 200]) expect(text).toContain(`line ${n} of ${step} of ${id}`);
      }
    };

    beforeAll(async () => {
      mkdirSync(s3Dir(), { recursive: true });
      await startS3();
    });
    afterAll(async () => {
      if (s3) await stopS3();
    });

    it("S3 down while logs are archived: logs wait in the spool and reach S3 once it is back", async () => {
      const config = s3Config();
      const server = await cluster.server(database, config, "data-server");
      for (const name of ["data-w1", "data-w2"])
        await cluster.start(
          ["worker", "--database", database, "--concurrency", "8", "--config", config],
          /worker (\S+) started/,
          { GANTRY_DATA: path.join(dir, name) },
        );
      const result = await runScenario({
        fault: "S3 (s3rver) down during archiving",
        url: () => server.url,
        store: postgresReader(database),
        workflow: "two-print",
        runs: RUNS,
        ledger: ledgerPath(),
        inject: async () => {
          await stopS3();
          // Long enough for many steps to end, and their logs to find the archive gone.
          await new Promise((resolve) => setTimeout(resolve, 8000));
          await startS3();
        },
        after: async (ids) => {
          await readable(server.url, ids);
          // The spool is retried every 5 s: every step's log reaches the archive.
          await waitFor(async () => (await archived(ids)) === ids.length * 2, {
            what: "every log to be archived",
            timeoutMs: 120_000,
            intervalMs: 500,
          });
        },
      });
      results.push(result);
      expectNothingLost(result);
    }, 400_000);

    it("the log spool's disk full (a 64 KiB tmpfs) while S3 is down: steps and runs go on, logs stay readable", async () => {
      const config = s3Config();
      const server = await cluster.server(database, config, "data-server");
      const mounts: string[] = [];
      const workers: GantryProcess[] = [];
      try {
        for (const name of ["data-w4", "data-w5"]) {
          const spool = path.join(dir, name, "spool");
          mkdirSync(spool, { recursive: true });
          execFileSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", spool]);
          mounts.push(spool);
          workers.push(
            await cluster.start(
              ["worker", "--database", database, "--concurrency", "8", "--config", config],
              /worker (\S+) started/,
              { GANTRY_DATA: path.join(dir, name) },
            ),
          );
        }
        await stopS3();
        const result = await runScenario({
          fault: "log spool disk full (64 KiB tmpfs), S3 down",
          url: () => server.url,
          store: postgresReader(database),
          workflow: "two-print",
          runs: RUNS,
          ledger: ledgerPath(),
          inject: async () => {
            await startS3();
          },
          after: (ids) => readable(server.url, ids),
        });
        results.push(result);
        if (process.env.GANTRY_FAULT_DEBUG) for (const w of workers) console.log(w.log().slice(-4000));
        expectNothingLost(result);
      } finally {
        if (!s3) await startS3();
        await cluster.killAll();
        for (const spool of mounts) execFileSync("umount", [spool]);
      }
    }, 400_000);
  });

  describe("RabbitMQ (a private node) restarted while it delivers", () => {
    let rabbit: PrivateRabbitmq | undefined;
    afterAll(async () => {
      await rabbit?.remove();
    }, 120_000);

    it("every message starts exactly one run", async () => {
      rabbit = await startPrivateRabbitmq();
      writeFileSync(
        path.join(dir, "flows", "from-queue.yaml"),
        `name: from-queue\non:\n  rabbitmq: [{url: "${rabbit.url}", queue: gantry-faults}]\nsteps:\n  only: {run: "true"}\n`,
      );
      const server = await cluster.server(database, "default-lease.yaml", "data-server");
      await cluster.worker(database, "default-lease.yaml", "data-w1");
      const amqp = await import("amqplib");
      const publish = async (from: number, to: number) => {
        const connection = await amqp.connect(rabbit!.url);
        const channel = await connection.createConfirmChannel();
        await channel.assertQueue("gantry-faults", { durable: true });
        for (let n = from; n < to; n++)
          channel.sendToQueue("gantry-faults", Buffer.from(JSON.stringify({ n })), {
            persistent: true,
            messageId: `m-${n}`,
          });
        await channel.waitForConfirms();
        await connection.close();
      };
      const client = new pg.Client({ connectionString: database });
      await client.connect();
      const count = async () =>
        Number(
          (await client.query("SELECT count(*) AS n FROM runs WHERE workflow = 'from-queue'")).rows[0].n,
        );
      try {
        await waitFor(() => server.process.log().includes("rabbitmq"), {
          what: "the trigger to start",
          timeoutMs: 60_000,
        });
        const startedAt = Date.now();
        // Half the messages before the restart (some still unacknowledged as it goes down), half once the
        // node is back: those only reach Gantry if its consumer reconnected.
        await publish(0, RUNS / 2);
        await waitFor(async () => (await count()) >= 5, { what: "runs to start", timeoutMs: 60_000 });
        await rabbit.restart();
        const clearedAt = Date.now();
        await publish(RUNS / 2, RUNS);
        await waitFor(async () => (await count()) >= RUNS, {
          what: "every message's run",
          timeoutMs: 180_000,
          intervalMs: 500,
        });
        const recoveryMs = Date.now() - clearedAt;
        const runs = await client.query<{ status: string; n: string }>(
          "SELECT status, count(*) AS n FROM runs WHERE workflow = 'from-queue' GROUP BY status",
        );
        const all = await client.query<{ n: string }>(
          "SELECT count(DISTINCT id) AS n FROM runs WHERE workflow = 'from-queue'",
        );
        const total = Number(all.rows[0]?.n);
        const result: FaultResult = {
          fault: "RabbitMQ restarted during delivery (50 messages)",
          runs: RUNS,
          failed: 0,
          lost: Math.max(0, RUNS - total),
          doubled: Math.max(0, total - RUNS),
          repeated: 0,
          stuck: 0,
          lostTries: 0,
          recoveryMs,
        };
        const byStatus = Object.fromEntries(runs.rows.map((r) => [r.status, Number(r.n)]));
        await waitFor(
          async () => {
            const { rows } = await client.query<{ n: string }>(
              "SELECT count(*) AS n FROM runs WHERE workflow = 'from-queue' AND status NOT IN ('succeeded','failed','cancelled','timed_out','skipped')",
            );
            return Number(rows[0]?.n) === 0;
          },
          { what: "the runs to finish", timeoutMs: 120_000, intervalMs: 500 },
        );
        const failed = await client.query<{ n: string }>(
          "SELECT count(*) AS n FROM runs WHERE workflow = 'from-queue' AND status <> 'succeeded'",
        );
        result.failed = Number(failed.rows[0]?.n);
        results.push(result);
        expect(
          result,
          JSON.stringify({ result, byStatus, sinceStart: Date.now() - startedAt }),
        ).toMatchObject({
          failed: 0,
          lost: 0,
          doubled: 0,
        });
        await cluster.killAll();
      } finally {
        await client.end();
      }
    }, 600_000);
  });
});
