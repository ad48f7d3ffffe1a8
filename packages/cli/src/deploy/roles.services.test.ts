// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the workflows below are full of ${{ }}.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { admin, postgresUrlFor } from "../../../engine/src/testing/databases.js";
import { tempDir } from "../../../engine/src/testing/temp-dir.js";
import { waitFor } from "../../../engine/src/testing/wait-for.js";
import { runToEnd, SECRET_LENGTH_WORKFLOW } from "../testing/api-runs.js";
import { bin, gantry } from "../testing/gantry-process.js";

// `gantry server`, `gantry worker` and `gantry migrate` as the Helm chart runs them, on a PostgreSQL
// database of their own: the schema is migrated by `gantry migrate`, not by whichever process starts
// first; probes and metrics on a port apart from the API; one encryption key per deployment, rotated.

const SLOW = `name: slow
steps:
  work:
    run: sleep 4; echo "out=finished" >> "$GANTRY_OUTPUT"
outputs:
  out: \${{ steps.work.outputs.out }}
`;

const tmp = tempDir("gantry-roles-");
const name = `gantry_test_roles${process.pid}_${Date.now()}_0`;
const url = postgresUrlFor(name);
const children = new Set<ChildProcess>();
const keyA = randomBytes(32).toString("base64");
const keyB = randomBytes(32).toString("base64");

interface Role {
  child: ChildProcess;
  log(): string;
  /** Resolves with the first match of `pattern` in the process's stderr. */
  waitFor(pattern: RegExp, what: string): Promise<RegExpExecArray>;
  exited: Promise<number | null>;
  stop(): Promise<number | null>;
}

function role(args: string[], key: string | undefined): Role {
  const env: Record<string, string | undefined> = {
    ...process.env,
    NO_COLOR: "1",
    GANTRY_ENCRYPTION_KEY: key,
  };
  if (key === undefined) delete env.GANTRY_ENCRYPTION_KEY;
  const child = spawn(process.execPath, [bin, ...args, "--database", url, "--config", "gantry.yaml"], {
    cwd: tmp.dir,
    env,
  });
  children.add(child);
  let text = "";
  child.stderr?.on("data", (d: Buffer) => {
    text += d;
  });
  const exited = new Promise<number | null>((resolve) =>
    child.on("exit", (code) => {
      children.delete(child);
      resolve(code);
    }),
  );
  return {
    child,
    log: () => text,
    waitFor: (pattern, what) =>
      waitFor(() => pattern.exec(text) ?? undefined, { timeoutMs: 30_000, what: `${what}; log:\n${text}` }),
    exited,
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      return exited;
    },
  };
}

const opsUrl = async (r: Role) =>
  (await r.waitFor(/metrics, \/healthz and \/readyz on (http:\S+)/, "the ops listener"))[1] as string;
const json = async (response: Response) => ({
  status: response.status,
  body: (await response.json()) as Record<string, unknown>,
});

describe("gantry server, worker and migrate on PostgreSQL, as the chart runs them", () => {
  beforeAll(async () => {
    await admin((client) => client.query(`CREATE DATABASE "${name}"`));
    tmp.write("flows/secret.yaml", SECRET_LENGTH_WORKFLOW);
    tmp.write("flows/slow.yaml", SLOW);
    tmp.write("gantry.yaml", "worker:\n  lease: 5\n  poll: 1\n  grace: 30\n");
  });
  afterAll(async () => {
    for (const child of children) child.kill("SIGKILL");
    await admin((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    tmp.cleanup();
  });

  let server: Role;
  let serverOps: string;
  let api: string;

  it("refuses to start a server or worker without GANTRY_ENCRYPTION_KEY, saying how to make one", async () => {
    const result = await gantry(["worker", "--database", url], {
      cwd: tmp.dir,
      env: { GANTRY_ENCRYPTION_KEY: "" },
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("GANTRY_ENCRYPTION_KEY is not set");
    expect(result.stderr).toContain("openssl rand -base64 32");
    // `gantry up` on PostgreSQL shares the store with whatever else uses it: no key of its own either.
    const up = await gantry(["up", "--database", url, "--port", "0"], {
      cwd: tmp.dir,
      env: { GANTRY_ENCRYPTION_KEY: "" },
    });
    expect(up.code).toBe(2);
    expect(up.stderr).toContain("GANTRY_ENCRYPTION_KEY is not set");
  });

  it("does not wait for a database that does not exist: migrate, servers and workers say so and exit", async () => {
    const missing = postgresUrlFor(`${name}_missing`);
    for (const args of [["migrate", "--wait", "120"], ["server", "--port", "0"], ["worker"]]) {
      const result = await gantry([...args, "--database", missing], {
        cwd: tmp.dir,
        env: { GANTRY_ENCRYPTION_KEY: keyA },
      });
      expect(result.code, args[0]).toBe(1);
      expect(result.stderr, args[0]).toContain(`database "${name}_missing" does not exist`);
      expect(result.stderr, args[0]).not.toContain("waiting for the database");
    }
  });

  it("starts a server and a worker that wait for the schema, live but not ready, until gantry migrate has run", async () => {
    server = role(["server", "--dir", "flows", "--port", "0", "--metrics-port", "0"], keyA);
    const early = role(["worker", "--metrics-port", "0"], keyA);
    serverOps = await opsUrl(server);
    const earlyOps = await opsUrl(early);
    for (const started of [server, early]) {
      await started.waitFor(
        /waiting for the database schema: it has no Gantry tables yet, and this version needs 0001-initial, .*gantry migrate/,
        "the wait line",
      );
    }
    for (const ops of [serverOps, earlyOps]) {
      expect(await json(await fetch(`${ops}/healthz`))).toMatchObject({
        status: 200,
        body: { status: "ok", phase: "waiting for the database schema" },
      });
      expect(await json(await fetch(`${ops}/readyz`))).toEqual({
        status: 503,
        body: { status: "unavailable", reason: "waiting for the database schema" },
      });
    }

    const status = await gantry(["migrate", "--database", url, "--status"], { cwd: tmp.dir });
    expect(status.code).toBe(1);
    expect(JSON.parse(status.stdout).pending).toContain("0008-encryption-keys");

    const migrated = await gantry(["migrate", "--database", url], { cwd: tmp.dir });
    expect(migrated.code).toBe(0);
    expect(migrated.stderr).toMatch(/applied 0001-initial[\s\S]*applied 0021-agents/);
    const again = await gantry(["migrate", "--database", url], { cwd: tmp.dir });
    expect(again.stderr).toContain("the database schema is up to date (0021-agents)");

    api = (
      await server.waitFor(/Gantry server listening on (http:\S+)/, "the server to listen")
    )[1] as string;
    await waitFor(async () => (await fetch(`${serverOps}/readyz`)).status === 200 || undefined, {
      timeoutMs: 10_000,
      what: "the server to be ready",
    });
    // The worker starts once the schema is there, ready; neither migrated anything itself.
    await early.waitFor(/worker \S+ started/, "the waiting worker to start");
    await waitFor(async () => (await fetch(`${earlyOps}/readyz`)).status === 200 || undefined, {
      timeoutMs: 10_000,
      what: "the waiting worker to be ready",
    });
    expect(await early.stop()).toBe(0);
    expect(server.log()).not.toContain("migrated the database");
    expect(early.log()).not.toContain("migrated the database");
  });

  it("serves metrics on the metrics port only, with the store's and the process's series", async () => {
    expect((await fetch(`${api}/metrics`)).status).toBe(404);
    const metrics = await (await fetch(`${serverOps}/metrics`)).text();
    expect(metrics).toMatch(/^gantry_queue_depth \d+$/m);
    expect(metrics).toMatch(/^process_cpu_user_seconds_total /m);
    expect(metrics).toMatch(/^nodejs_eventloop_lag_seconds /m);
    // The API port's readiness answers too, in words only.
    expect(await json(await fetch(`${api}/readyz`))).toEqual({ status: 200, body: { status: "ready" } });
  });

  let worker: Role;
  let workerOps: string;

  it("watches --dir as gantry up does: a file added to the folder is served without a restart", async () => {
    const names = async () =>
      (
        (await (await fetch(`${api}/api/v1/workflows`)).json()) as { workflows: { name: string }[] }
      ).workflows.map((w) => w.name);
    expect(await names()).not.toContain("added");
    tmp.write("flows/added.yaml", 'name: added\non: {manual: {}}\nsteps:\n  a: {run: "true"}\n');
    await waitFor(async () => (await names()).includes("added") || undefined, {
      timeoutMs: 30_000,
      what: "the server to load flows/added.yaml",
    });
  });

  it("starts a worker with health and metrics endpoints of its own", async () => {
    worker = role(["worker", "--concurrency", "2", "--metrics-port", "0"], keyA);
    workerOps = await opsUrl(worker);
    await worker.waitFor(/worker \S+ started/, "the worker to start");
    await waitFor(async () => (await fetch(`${workerOps}/readyz`)).status === 200 || undefined, {
      timeoutMs: 10_000,
      what: "the worker to be ready",
    });
    const metrics = await (await fetch(`${workerOps}/metrics`)).text();
    expect(metrics).toMatch(/^gantry_worker_slots 2$/m);
    expect(metrics).toMatch(/^gantry_worker_steps_running 0$/m);
    // Cluster-wide series come from servers only: a worker's scrape costs no query.
    expect(metrics).not.toContain("gantry_queue_depth");
    expect((await fetch(`${workerOps}/nothing`)).status).toBe(404);
    expect((await fetch(`${workerOps}/metrics`, { method: "POST" })).status).toBe(405);
  });

  it("refuses a worker whose key is not the deployment's, naming both keys' fingerprints", async () => {
    const stranger = role(["worker"], randomBytes(32).toString("base64"));
    expect(await stranger.exited).toBe(2);
    expect(stranger.log()).toMatch(
      /GANTRY_ENCRYPTION_KEY is not this deployment's key: .*sha256:[0-9a-f]{16}.*holds sha256:[0-9a-f]{16}/,
    );
  });

  it("lets a running step finish when the worker is told to stop, unready meanwhile", async () => {
    const created = (await (
      await fetch(`${api}/api/v1/workflows/slow/runs`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{}",
      })
    ).json()) as { id: string };
    await waitFor(
      async () =>
        /^gantry_worker_steps_running 1$/m.test(await (await fetch(`${workerOps}/metrics`)).text()) ||
        undefined,
      {
        timeoutMs: 20_000,
        what: "the slow step to start",
      },
    );
    worker.child.kill("SIGTERM");
    const unready = await waitFor(
      async () => {
        const r = await json(await fetch(`${workerOps}/readyz`));
        return r.status === 503 ? r : undefined;
      },
      { timeoutMs: 5_000, what: "the stopping worker to be unready" },
    );
    expect(unready.body).toEqual({ status: "unavailable", reason: "stopping" });
    expect(await worker.exited).toBe(0);
    const run = (await (await fetch(`${api}/api/v1/runs/${created.id}`)).json()) as Record<string, unknown>;
    expect(run).toMatchObject({ status: "succeeded", outputs: { out: "finished" } });
  });

  it("rotates the encryption key: old runs stay readable with the new key alone, the old key is refused", async () => {
    worker = role(["worker"], keyA);
    await worker.waitFor(/worker \S+ started/, "the worker to start");
    const before = await runToEnd(api, "/api/v1/workflows/secret/runs", { inputs: { token: "abcdefghij" } });
    expect(before.status).toBe("succeeded");

    // The guide's procedure, compressed: every process holds both keys, the rotation re-seals, then the
    // processes restart with the new key alone.
    await worker.stop();
    await server.stop();
    const rotated = await gantry(["keys", "rotate-encryption", "--database", url], {
      cwd: tmp.dir,
      env: { GANTRY_ENCRYPTION_KEY: `${keyB},${keyA}` },
    });
    expect(rotated.stderr).toContain("re-encrypted 1 stored secret (");
    expect(rotated.code).toBe(0);

    server = role(["server", "--dir", "flows", "--port", "0"], keyB);
    api = (
      await server.waitFor(/Gantry server listening on (http:\S+)/, "the server to listen")
    )[1] as string;
    worker = role(["worker"], keyB);
    await worker.waitFor(/worker \S+ started/, "the worker to start");
    const rerun = await runToEnd(api, `/api/v1/runs/${before.id}/rerun`, {});
    expect(rerun).toMatchObject({ status: "succeeded", outputs: { length: "10" } });

    const stale = role(["worker"], keyA);
    expect(await stale.exited).toBe(2);
    expect(stale.log()).toMatch(/retired on \d{4}-/);
    await worker.stop();
    await server.stop();
  });
  it("runs on a schema a newer version migrated, as during a rolling upgrade; an older migrate changes nothing", async () => {
    // What the Job of the next version leaves behind: a migration this version does not know.
    const future = "9999-from-a-newer-version";
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query("INSERT INTO kysely_migration (name, timestamp) VALUES ($1, $2)", [
        future,
        new Date().toISOString(),
      ]);
      const migrated = await gantry(["migrate", "--database", url], { cwd: tmp.dir });
      expect(migrated.code).toBe(0);
      expect(migrated.stderr).toContain(
        `the database schema is newer than this version (it has ${future}): nothing to migrate`,
      );
      const status = await gantry(["migrate", "--database", url, "--status"], { cwd: tmp.dir });
      expect(status.code).toBe(0);
      expect(JSON.parse(status.stdout)).toMatchObject({ pending: [], newer: [future] });

      const old = role(["worker", "--metrics-port", "0"], keyB);
      const ops = await opsUrl(old);
      await old.waitFor(
        new RegExp(
          `the database schema is newer than this version \\(it has ${future}\\): running on it, as during a rolling upgrade`,
        ),
        "the skew line",
      );
      await old.waitFor(/worker \S+ started/, "the worker to start on the newer schema");
      await waitFor(async () => (await fetch(`${ops}/readyz`)).status === 200 || undefined, {
        timeoutMs: 10_000,
        what: "the worker on the newer schema to be ready",
      });
      expect(await old.stop()).toBe(0);
    } finally {
      await client.query("DELETE FROM kysely_migration WHERE name = $1", [future]).catch(() => undefined);
      await client.end();
    }
  });
});
