// biome-ignore-all lint/suspicious/noTemplateCurlyInString: workflows in these tests are full of ${{ }}.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { waitFor as pollFor } from "../../engine/src/testing/wait-for.js";
import { bin } from "./testing/gantry-process.js";

// Whole processes, as they run in production: `gantry server` and `gantry worker` on PostgreSQL.
const PG_BASE = process.env.GANTRY_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432";
const dbName = `gantry_faults_${process.pid}`;
const dbUrl = `${PG_BASE}/${dbName}`;

let admin: pg.Client;
let dir: string;
const children = new Set<ChildProcess>();

/** The shared poll, with the question first (as these tests read best) and a slower 100 ms poll. */
function waitFor<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000) {
  return pollFor(check, { what, timeoutMs, intervalMs: 100 });
}

/** Starts a gantry process and resolves once a line of its stderr matches `ready`. */
function start(
  args: string[],
  ready: RegExp,
  config = "gantry.yaml",
): Promise<{ child: ChildProcess; match: RegExpExecArray; log: () => string }> {
  const child = spawn(process.execPath, [bin, ...args, "--config", path.join(dir, config)], {
    cwd: dir,
    env: { ...process.env, NO_COLOR: "1", GANTRY_DATA: path.join(dir, `data-${children.size}`) },
  });
  children.add(child);
  child.on("exit", () => children.delete(child));
  let text = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gantry ${args[0]} did not start:\n${text}`)), 20_000);
    child.stderr?.on("data", (d: Buffer) => {
      text += d;
      const match = ready.exec(text);
      if (match) {
        clearTimeout(timer);
        resolve({ child, match, log: () => text });
      }
    });
    child.on("exit", (code) => reject(new Error(`gantry ${args[0]} exited with ${code}:\n${text}`)));
  });
}

const startServer = async (config?: string) => {
  const { child, match } = await start(
    ["server", "--database", dbUrl, "--dir", "flows", "--port", "0", "--migrate"],
    /listening on (http:\/\/\S+)/,
    config,
  );
  return { child, url: match[1] as string };
};
const startWorker = (config?: string) =>
  start(["worker", "--database", dbUrl, "--concurrency", "2"], /worker (\S+) started/, config);

// biome-ignore lint/suspicious/noExplicitAny: API replies are checked field by field by the tests.
type Reply = Record<string, any>;

async function api(url: string, route: string, body?: unknown): Promise<Reply> {
  const res = await fetch(`${url}${route}`, {
    method: body === undefined ? "GET" : "POST",
    ...(body === undefined
      ? {}
      : { body: JSON.stringify(body), headers: { "content-type": "application/json" } }),
  });
  return res.json() as Promise<Reply>;
}

/** A query on the test database itself (the admin connection is on `postgres`). */
async function query(text: string, params: unknown[]) {
  const client = new pg.Client({ connectionString: dbUrl });
  await client.connect();
  try {
    return (await client.query(text, params)).rows;
  } finally {
    await client.end();
  }
}

const finished = (s: string) => ["succeeded", "failed", "cancelled", "timed_out"].includes(s);

describe("faults (gantry server and worker processes on PostgreSQL)", () => {
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
    dir = mkdtempSync(path.join(os.tmpdir(), "gantry-faults-"));
    mkdirSync(path.join(dir, "flows"));
    // Short leases so a lost worker is noticed in seconds, not the default 30 s.
    writeFileSync(
      path.join(dir, "gantry.yaml"),
      "worker:\n  lease: 2\n  poll: 1\n  grace: 1\nencryption_key: " +
        Buffer.alloc(32, 7).toString("base64") +
        "\n",
    );
    // The default lease for the connection test: a 2 s lease can run out while a loaded machine
    // reconnects, and then the step is (rightly) reaped as lost, which is the other test's subject.
    writeFileSync(
      path.join(dir, "default-lease.yaml"),
      `worker:\n  poll: 1\nencryption_key: ${Buffer.alloc(32, 7).toString("base64")}\n`,
    );
    writeFileSync(
      path.join(dir, "flows", "long.yaml"),
      'name: long\nsteps:\n  work:\n    run: echo "worker $GANTRY_ATTEMPT"; sleep 3; echo "out=done-$GANTRY_ATTEMPT" >> "$GANTRY_OUTPUT"\n    retry: {attempts: 2}\n',
    );
    writeFileSync(
      path.join(dir, "flows", "chain.yaml"),
      'name: chain\nsteps:\n  a: {run: sleep 1}\n  b: {needs: a, run: sleep 1}\n  c: {needs: b, run: \'echo "x=ok" >> "$GANTRY_OUTPUT"\'}\noutputs:\n  x: ${{ steps.c.outputs.x }}\n',
    );
  });

  afterEach(async () => {
    for (const child of children) child.kill("SIGKILL");
    await waitFor("children to exit", () => children.size === 0);
  });

  afterAll(async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await admin.end();
    rmSync(dir, { recursive: true, force: true });
  });

  it("a worker killed in the middle of a step: another worker retries the step and the run finishes", async () => {
    const server = await startServer();
    // Both workers up before the run: starting one takes seconds on a loaded machine, longer than the step.
    const workers = [await startWorker(), await startWorker()];
    const { id } = await api(server.url, "/api/v1/workflows/long/runs", { inputs: {} });
    const holder = await waitFor("the step to start", async () => {
      const [job] = await query("SELECT worker_id FROM jobs WHERE run_id = $1 AND status = 'running'", [id]);
      return job?.worker_id as string | undefined;
    });
    const first = workers.find((w) => w.match[1] === holder);
    expect(first, `the worker ${holder} is one of this test's`).toBeDefined();
    first?.child.kill("SIGKILL");
    const run = await waitFor("the run to finish", async () => {
      const r = await api(server.url, `/api/v1/runs/${id}`);
      return finished(r.status) ? r : undefined;
    });
    expect(run.status).toBe("succeeded");
    expect(run.steps.work.attempts).toBe(2);
    expect(run.steps.work.outputs).toEqual({ out: "done-2" });
    const attempts = await query(
      "SELECT attempt, status, error FROM step_attempts WHERE run_id = $1 ORDER BY attempt",
      [id],
    );
    expect(attempts[0]).toMatchObject({
      attempt: 1,
      status: "failed",
      error: expect.stringMatching(/^worker lost/),
    });
    expect(attempts[1]).toMatchObject({ attempt: 2, status: "succeeded" });
  });

  it("a server restarted while runs are in flight loses nothing", async () => {
    const server = await startServer();
    await startWorker();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push((await api(server.url, "/api/v1/workflows/chain/runs", { inputs: {} })).id);
    server.child.kill("SIGKILL");
    const again = await startServer();
    for (const id of ids) {
      const run = await waitFor(`run ${id}`, async () => {
        const r = await api(again.url, `/api/v1/runs/${id}`);
        return finished(r.status) ? r : undefined;
      });
      expect(run.status).toBe("succeeded");
      expect(run.outputs).toEqual({ x: "ok" });
    }
  });

  it("dropped database connections: servers and workers reconnect and carry on", async () => {
    const server = await startServer("default-lease.yaml");
    const worker = await startWorker("default-lease.yaml");
    const { id } = await api(server.url, "/api/v1/workflows/chain/runs", { inputs: {} });
    await waitFor(
      "the run to start",
      async () => (await api(server.url, `/api/v1/runs/${id}`)).status === "running",
    );
    const killed = await admin.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
      [dbName],
    );
    expect(killed.rowCount).toBeGreaterThan(0);
    const run = await waitFor("the run to finish", async () => {
      try {
        const r = await api(server.url, `/api/v1/runs/${id}`);
        return finished(r.status) ? r : undefined;
      } catch {
        return undefined; // the server's own pool is reconnecting
      }
    });
    expect(run.status, JSON.stringify(run.steps)).toBe("succeeded");
    // The worker's LISTEN connection came back: a new run is picked up as well.
    await waitFor("notifications to reconnect", () =>
      /database notifications connected[\s\S]*database notifications connected/.test(worker.log()),
    );
    const next = await api(server.url, "/api/v1/workflows/chain/runs", { inputs: {} });
    const second = await waitFor("the second run", async () => {
      const r = await api(server.url, `/api/v1/runs/${next.id}`);
      return finished(r.status) ? r : undefined;
    });
    expect(second.status).toBe("succeeded");
  });
});
