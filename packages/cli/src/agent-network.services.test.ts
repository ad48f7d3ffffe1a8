import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { type Database, openDatabase } from "@gantry/engine";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CutProxy } from "../../engine/src/testing/cut-proxy.js";
import { waitFor } from "../../engine/src/testing/wait-for.js";
import { bin, gantry, startGantryUp } from "./testing/gantry-process.js";

/** How long the first case's network is cut: the 10 s, well inside the agent's 60 s lease. */
const SHORT_CUT_MS = 10_000;

const steady = (ticks: string) => `name: steady
steps:
  tick:
    runner: {labels: [linux]}
    run: |
      for i in $(seq 1 120); do
        echo "tick $i"
        echo "$GANTRY_ATTEMPT $i" >> ${ticks}
        sleep 0.1
      done
`;
const flaky = (ticks: string) => `name: flaky
steps:
  work:
    runner: {labels: [linux]}
    # The first try runs far longer than the agent takes to give up its lost lease (so it is cut short
    # whatever the machine's speed); the second, short, runs to its end.
    run: |
      n=40; [ "$GANTRY_ATTEMPT" = 1 ] && n=300
      for i in $(seq 1 $n); do
        echo "work $GANTRY_ATTEMPT $i"
        echo "$GANTRY_ATTEMPT $i" >> ${ticks}
        sleep 0.1
      done
`;

/** `gantry agent` as a process, its stderr kept for the assertions and for a failure's message. */
function startAgent(server: string, token: string, dataDir: string, lease: string) {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      bin,
      "agent",
      "--server",
      server,
      "--labels",
      "linux",
      "--concurrency",
      "1",
      "--data",
      dataDir,
      "--lease",
      lease,
    ],
    { env: { ...process.env, NO_COLOR: "1", GANTRY_AGENT_TOKEN: token } },
  );
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const agent = {
    stderr: "",
    exited,
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
  child.stderr?.on("data", (d: Buffer) => {
    agent.stderr += d;
  });
  return agent;
}

/**
 * A real `gantry agent` process against a real `gantry up` (SQLite) on another loopback port, through a
 * TCP proxy the test cuts: connections destroyed and new ones refused.
 */
describe("gantry agent through a network that drops", () => {
  let dir: string;
  let up: { url: string; stop(): Promise<void> };
  let proxy: CutProxy;
  let adminKey: string;
  let agentKey: string;
  let db: Database;
  const ticks = { steady: "", flaky: "" };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "gantry-agent-net-"));
    const data = path.join(dir, "data");
    const flows = path.join(dir, "flows");
    mkdirSync(flows);
    ticks.steady = path.join(dir, "steady.ticks");
    ticks.flaky = path.join(dir, "flaky.ticks");
    writeFileSync(path.join(flows, "steady.yaml"), steady(ticks.steady));
    writeFileSync(path.join(flows, "flaky.yaml"), flaky(ticks.flaky));
    const key = async (role: string, ...extra: string[]) => {
      const made = await gantry(
        ["keys", "create", "--name", role, "--role", role, ...extra, "--data", data],
        {
          cwd: dir,
        },
      );
      expect(made.code, made.stderr).toBe(0);
      return made.stdout.trim();
    };
    adminKey = await key("admin");
    agentKey = await key("agent", "--labels", "linux");
    // `gantry up`'s own worker has no `linux` label: only the agent runs these steps.
    up = await startGantryUp(["--data", data, "--dir", flows], dir, { GANTRY_AUTH_REQUIRED: "true" });
    proxy = new CutProxy({ host: "127.0.0.1", port: Number(new URL(up.url).port) });
    await proxy.start();
    db = await openDatabase(path.join(data, "gantry.db"));
  });

  afterAll(async () => {
    await db?.close();
    await proxy?.close();
    await up?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const admin = () => ({ authorization: `Bearer ${adminKey}` });
  async function startRun(workflow: string): Promise<string> {
    const res = await fetch(`${up.url}/api/v1/workflows/${workflow}/runs`, {
      method: "POST",
      headers: { ...admin(), "content-type": "application/json" },
      body: "{}",
    });
    expect(res.status).toBe(201);
    return ((await res.json()) as { id: string }).id;
  }
  const ended = (id: string) =>
    waitFor(
      async () => {
        const view = (await (await fetch(`${up.url}/api/v1/runs/${id}`, { headers: admin() })).json()) as {
          status: string;
        };
        return ["succeeded", "failed", "cancelled", "timed_out"].includes(view.status)
          ? view.status
          : undefined;
      },
      { timeoutMs: 150_000, intervalMs: 200, what: `run ${id} to end` },
    );
  const tickLines = (file: string) => {
    try {
      return readFileSync(file, "utf8").trim().split("\n").filter(Boolean);
    } catch {
      return [];
    }
  };

  it("keeps a step running through a 10 s cut: its whole log arrives once, in order, and nothing runs twice", async () => {
    const agent = startAgent(`http://127.0.0.1:${proxy.port}`, agentKey, path.join(dir, "agent-1"), "60s");
    try {
      const id = await startRun("steady");
      await waitFor(() => tickLines(ticks.steady).length >= 20, {
        timeoutMs: 90_000,
        what: `the step to tick 20 times (agent: ${agent.stderr})`,
      });
      const connectionsBefore = proxy.connections;
      await proxy.cut();
      const cutAt = Date.now();
      // The step keeps printing meanwhile: its lines go to the agent's spool on disk.
      await waitFor(() => Date.now() - cutAt >= SHORT_CUT_MS, {
        timeoutMs: SHORT_CUT_MS + 5_000,
        intervalMs: 100,
      });
      const ticksDuringCut = tickLines(ticks.steady).length;
      await proxy.restore();
      expect(ticksDuringCut).toBeGreaterThan(20);
      expect(ticksDuringCut).toBeLessThan(120);

      expect(await ended(id)).toBe("succeeded");
      expect(proxy.connections).toBeGreaterThan(connectionsBefore);
      expect(agent.stderr).toMatch(/spooling to disk/);
      const log = await (await fetch(`${up.url}/api/v1/runs/${id}/logs`, { headers: admin() })).text();
      const printed = log.match(/tick \d+/g) ?? [];
      expect(printed).toEqual(Array.from({ length: 120 }, (_, i) => `tick ${i + 1}`));
      // One attempt, run once: every tick of the step's file is attempt 1's, none twice.
      expect(tickLines(ticks.steady)).toEqual(Array.from({ length: 120 }, (_, i) => `1 ${i + 1}`));
      const attempts = await db.db
        .selectFrom("step_attempts")
        .select("attempt")
        .where("run_id", "=", id)
        .execute();
      expect(attempts.map((a) => a.attempt)).toEqual([1]);
    } finally {
      await agent.stop();
    }
  });

  it("after a cut longer than the lease, the server reaps the job and the agent kills its copy: no overlap", async () => {
    const agent = startAgent(`http://127.0.0.1:${proxy.port}`, agentKey, path.join(dir, "agent-2"), "6s");
    try {
      const id = await startRun("flaky");
      await waitFor(() => tickLines(ticks.flaky).length >= 5, {
        timeoutMs: 90_000,
        what: `the step to tick 5 times (agent: ${agent.stderr})`,
      });
      await proxy.cut();
      // Cut until the server reaped the first try and queued the second (the lease is 6 s; the reaper
      // looks every 5 s).
      await waitFor(
        async () => {
          const jobs = await db.db.selectFrom("jobs").select("attempt").where("run_id", "=", id).execute();
          return jobs.some((job) => job.attempt === 2);
        },
        { timeoutMs: 60_000, intervalMs: 200, what: "the server to reap the first try" },
      );
      const firstTry = tickLines(ticks.flaky);
      await proxy.restore();

      expect(await ended(id)).toBe("succeeded");
      const all = tickLines(ticks.flaky);
      const second = all.findIndex((line) => line.startsWith("2 "));
      // The first try stopped before the second began, and never ticked again.
      expect(second).toBeGreaterThan(0);
      expect(all.slice(0, second).every((line) => line.startsWith("1 "))).toBe(true);
      expect(all.slice(second)).toEqual(Array.from({ length: 40 }, (_, i) => `2 ${i + 1}`));
      expect(all.slice(0, second)).toEqual(firstTry);
      expect(firstTry.length).toBeLessThan(300);
      expect(agent.stderr).toMatch(/could not renew its lease/);
    } finally {
      await agent.stop();
    }
  });

  it("stops when its key is revoked", async () => {
    const agent = startAgent(`http://127.0.0.1:${proxy.port}`, agentKey, path.join(dir, "agent-3"), "30s");
    try {
      await waitFor(() => /joined/.test(agent.stderr), {
        timeoutMs: 60_000,
        what: `the agent to join (${agent.stderr})`,
      });
      const { keys } = (await (await fetch(`${up.url}/api/v1/keys`, { headers: admin() })).json()) as {
        keys: Array<{ id: string; role: string; state: string }>;
      };
      const key = keys.find((k) => k.role === "agent" && k.state === "active");
      expect(key).toBeDefined();
      const revoked = await fetch(`${up.url}/api/v1/keys/${key?.id}`, { method: "DELETE", headers: admin() });
      expect(revoked.status).toBe(200);
      expect(await agent.exited).toBe(1);
      expect(agent.stderr).toMatch(/refuses this agent's key \(revoked or expired\): stopping/);
    } finally {
      await agent.stop();
    }
  });
});
