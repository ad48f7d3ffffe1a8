import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Cluster } from "./testing/faults/cluster.js";
import { ledgerScript } from "./testing/faults/ledger.js";
import { type PrivatePostgres, startPrivatePostgres } from "./testing/faults/private-postgres.js";
import { type FaultResult, faultTable, runScenario } from "./testing/faults/scenario.js";

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

const two = (name: string, extra = "") =>
  [
    `name: ${name}`,
    "steps:",
    "  a:",
    `    run: |\n${indent(ledgerScript(ledgerPath(), 1), 6)}`,
    extra,
    "  b:",
    "    needs: a",
    `    run: |\n${indent(ledgerScript(ledgerPath(), 1), 6)}`,
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
    cluster = new Cluster(dir, {
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
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
      database,
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
      database,
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
      database,
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
      database,
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
      database,
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
      database,
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
});
