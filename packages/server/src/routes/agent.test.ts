import net from "node:net";
import os from "node:os";
import {
  AgentApi,
  AgentApiError,
  agentWorkerId,
  createRun,
  MASKS_PER_BATCH,
  MAX_MASK_CHARS,
  readLogLines,
  store,
  type Worker,
  withUnitOfWork,
} from "@gantry/engine";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openRunMasks } from "../../../engine/src/secrets/run-masks.js";
import { CutProxy } from "../../../engine/src/testing/cut-proxy.js";
import { waitFor } from "../../../engine/src/testing/wait-for.js";
import { createApiKey } from "../auth/keys.js";
import { openAgentApp, startAgent } from "../testing/agent-app.js";
import type { TestApp } from "../testing/test-app.js";

const SECRET = "agent-s3cret-value";
/** In a file beside the workflow, on the server: only the server can resolve `ref+file://direct.txt`. */
const DIRECT = "direct-s3cret-from-file";
process.env.GANTRY_TEST_AGENT_SECRET = SECRET;

const HELLO = `name: hello
secrets:
  TOKEN: ref+env://GANTRY_TEST_AGENT_SECRET
steps:
  greet:
    runner: {labels: [linux]}
    env:
      TOKEN: "\${{ secrets.TOKEN }}"
      DIRECT: ref+file://direct.txt
    run: |
      echo "hello from $(hostname)"
      test "$TOKEN" = "${SECRET}" && echo "secret arrived"
      test "$DIRECT" = "${DIRECT}" && echo "direct reference arrived"
      echo "direct is $DIRECT"
      echo "token is $TOKEN"
      echo "## done" >> "$GANTRY_STEP_SUMMARY"
      echo "greeting=hi" >> "$GANTRY_OUTPUT"
  after:
    needs: [greet]
    runner: {labels: [linux]}
    run: echo "after \${{ steps.greet.outputs.greeting }}"
`;
const GPU = `name: gpu
steps:
  train:
    runner: {labels: [gpu]}
    run: echo never here
`;

interface RunView {
  status: string;
}

/** Claims jobs as an agent's worker would, with a lease of `leaseMs` from now. */
function claim(
  api: AgentApi,
  workerId: string,
  labels: string[],
  limit: number,
  leaseMs: number,
  now = Date.now(),
) {
  return api.post<{ jobs: Array<{ id: number; run_id: string }> }>("claim", {
    workerId,
    labels,
    now,
    leaseUntil: now + leaseMs,
    limit,
  });
}

describe("agents over the API (HttpWorkerQueue against the real server)", () => {
  let t: TestApp;
  let url: string;
  let agentKey: string;
  let agentKeyId: string;
  let adminKey: string;
  let agent: Worker;
  const errors: string[] = [];

  beforeAll(async () => {
    const app = await openAgentApp(
      "gantry-agent-",
      { "hello.yaml": HELLO, "gpu.yaml": GPU, "direct.txt": DIRECT },
      "builder",
    );
    ({ t, url, key: agentKey, keyId: agentKeyId } = app);
    const { db } = t.service.database;
    adminKey = (await createApiKey(db, { name: "admin", role: "admin", createdBy: "test" }, Date.now())).key;
    agent = await startAgent(t, {
      server: url,
      token: agentKey,
      version: "9.9.9-test",
      pollMs: 200,
      leaseMs: 5_000,
      concurrency: 2,
      onError: (error) => errors.push(error.message),
    });
  });

  afterAll(async () => {
    await agent?.stop();
    await t?.close();
  });

  async function startRun(workflow: string): Promise<string> {
    const res = await fetch(`${url}/api/v1/workflows/${workflow}/runs`, {
      method: "POST",
      headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
      body: "{}",
    });
    expect(res.status).toBe(201);
    return ((await res.json()) as { id: string }).id;
  }

  async function run(id: string): Promise<RunView> {
    const res = await fetch(`${url}/api/v1/runs/${id}`, { headers: { authorization: `Bearer ${adminKey}` } });
    return (await res.json()) as RunView;
  }

  it("runs a workflow: claims, starts, gets its secrets from the server (the run's and the step's own references), streams its log, finishes", async () => {
    const id = await startRun("hello");
    const done = await waitFor(
      async () => {
        const view = await run(id);
        return ["succeeded", "failed"].includes(view.status) ? view : undefined;
      },
      { what: "the run to end on the agent" },
    );
    expect(done.status).toBe("succeeded");
    const log = await (
      await fetch(`${url}/api/v1/runs/${id}/logs`, { headers: { authorization: `Bearer ${adminKey}` } })
    ).text();
    expect(log).toContain("secret arrived");
    expect(log).toContain("token is ***");
    expect(log).toContain("direct reference arrived");
    expect(log).toContain("direct is ***");
    expect(log).not.toContain(DIRECT);
    expect(log).toContain("after hi");
    expect(log).not.toContain(SECRET);
    const summaries = await store.listStepSummaries(t.service.database.db, id);
    expect(summaries.map((s) => s.markdown)).toEqual([expect.stringContaining("## done")]);
  });

  it("shows on the Workers page as an agent, with its labels and version", async () => {
    const res = await fetch(`${url}/api/v1/workers`, { headers: { authorization: `Bearer ${adminKey}` } });
    const { workers } = (await res.json()) as {
      workers: Array<{ id: string; kind: string; version: string; labels: string[] }>;
    };
    expect(workers).toEqual([
      expect.objectContaining({
        id: agent.id,
        kind: "agent",
        version: "9.9.9-test",
        labels: ["linux", "runner:local"],
      }),
    ]);
    expect(agent.id.startsWith(`agent-${agentKeyId}-`)).toBe(true);
  });

  it("never claims a job whose labels its key lacks, even when it asks for them", async () => {
    const id = await startRun("gpu");
    const api = new AgentApi({ server: url, token: agentKey });
    const workerId = agentWorkerId(agentKeyId, os.hostname(), 1);
    const claimed = await claim(api, workerId, ["gpu", "linux", "runner:local"], 4, 5_000);
    expect(claimed.jobs).toEqual([]);
    const jobs = await t.service.database.db
      .selectFrom("jobs")
      .selectAll()
      .where("run_id", "=", id)
      .execute();
    expect(jobs.map((j) => [j.step, j.status, j.worker_id])).toEqual([["train", "queued", null]]);
  });

  it("lets an agent key reach the agent routes only, and only as its own workers", async () => {
    const agentGet = (route: string) =>
      fetch(`${url}${route}`, { headers: { authorization: `Bearer ${agentKey}` } });
    expect((await agentGet("/api/v1/runs")).status).toBe(403);
    expect((await agentGet("/api/v1/workflows")).status).toBe(403);
    expect((await agentGet("/api/v1/keys")).status).toBe(403);
    const asAdminAgent = await fetch(`${url}/api/v1/agent/whoami`, {
      headers: { authorization: `Bearer ${adminKey}` },
    });
    expect(asAdminAgent.status).toBe(403);
    const anonymous = await fetch(`${url}/api/v1/agent/whoami`);
    expect(anonymous.status).toBe(401);

    const api = new AgentApi({ server: url, token: agentKey });
    const foreign = await api
      .post("claim", { workerId: "someone-else", labels: [], now: 0, leaseUntil: 0, limit: 1 })
      .catch((error: AgentApiError) => error);
    expect(foreign).toBeInstanceOf(AgentApiError);
    expect((foreign as AgentApiError).status).toBe(403);
    const notHeld = await api
      .post("jobs/999999/secrets", { workerId: agentWorkerId(agentKeyId, "h", 1) })
      .catch((error: AgentApiError) => error);
    expect((notHeld as AgentApiError).status).toBe(409);
    const tooBig = await fetch(`${url}/api/v1/agent/claim`, {
      method: "POST",
      headers: { authorization: `Bearer ${agentKey}`, "content-type": "application/json" },
      body: JSON.stringify({ workerId: "x".repeat(20_000) }),
    });
    expect(tooBig.status).toBe(413);
  });

  it("stores a resent log batch once, and refuses one that leaves a gap", async () => {
    // A job of its own, held by a second worker id of the same key (the agent's worker runs the rest).
    await agent.stop();
    const id = await startRun("hello");
    const api = new AgentApi({ server: url, token: agentKey });
    const workerId = agentWorkerId(agentKeyId, "resend", 2);
    const now = Date.now();
    const { jobs } = await waitFor(async () => {
      const answer = await claim(api, workerId, ["linux", "runner:local"], 1, 30_000, now);
      return answer.jobs.length > 0 ? answer : undefined;
    });
    const job = jobs[0] as { id: number; run_id: string };
    expect(job.run_id).toBe(id);
    const line = (n: number) => ["stdout", now + n, `line ${n}`];
    const send = (from: number, lines: unknown[]) =>
      api.post<{ lines: number; gap: boolean }>(`jobs/${job.id}/logs`, { workerId, from, lines });
    expect(await send(0, [line(0), line(1), line(2)])).toEqual({ lines: 3, gap: false });
    // The answer was lost: the same batch again, with one line more.
    expect(await send(0, [line(0), line(1), line(2), line(3)])).toEqual({ lines: 4, gap: false });
    expect(await send(6, [line(6)])).toEqual({ lines: 4, gap: true });
    expect(await send(4, [line(4), line(5)])).toEqual({ lines: 6, gap: false });
    const log = await (
      await fetch(`${url}/api/v1/runs/${id}/logs`, { headers: { authorization: `Bearer ${adminKey}` } })
    ).text();
    expect(log.match(/line \d/g)).toEqual(["line 0", "line 1", "line 2", "line 3", "line 4", "line 5"]);
  });

  it("joins the ::add-mask:: values of a log batch to the run's sealed masks before storing its lines, within limits, never answering them", async () => {
    // A job held by a worker id of the test's own, as above.
    await agent.stop();
    const id = await startRun("hello");
    const api = new AgentApi({ server: url, token: agentKey });
    const workerId = agentWorkerId(agentKeyId, "masks", 3);
    const now = Date.now();
    const { jobs } = await waitFor(async () => {
      const answer = await claim(api, workerId, ["linux", "runner:local"], 1, 30_000, now);
      return answer.jobs.length > 0 ? answer : undefined;
    });
    const job = jobs[0] as { id: number; run_id: string };
    const value = "registered-on-an-agent";
    const send = (masks: string[], lines: unknown[] = []) =>
      api
        .post<{ lines: number; gap: boolean }>(`jobs/${job.id}/logs`, { workerId, from: 0, lines, masks })
        .catch((error: AgentApiError) => error);
    // Too many, or too long: refused whole, and the answer does not hold them.
    const tooLong = `${value}-${"x".repeat(MAX_MASK_CHARS)}`;
    for (const masks of [Array.from({ length: MASKS_PER_BATCH + 1 }, (_, i) => `${value}-${i}`), [tooLong]]) {
      const refused = await send(masks);
      expect((refused as AgentApiError).status).toBe(400);
      expect((refused as AgentApiError).message).not.toContain(value);
    }
    const sealed = async () =>
      (
        await t.service.database.db
          .selectFrom("runs")
          .select("masked_values")
          .where("id", "=", id)
          .executeTakeFirst()
      )?.masked_values;
    expect(await sealed()).toBeNull();
    // A line the agent failed to mask (a value it learnt late) is masked with the values of its own batch.
    expect(await send([value], [["stdout", now, `clear ${value}`]])).toEqual({ lines: 1, gap: false });
    const stored = await sealed();
    expect(openRunMasks(stored, t.service.box)).toEqual([value]);
    expect(stored).not.toContain(value);
    const log = await (
      await fetch(`${url}/api/v1/runs/${id}/logs`, { headers: { authorization: `Bearer ${adminKey}` } })
    ).text();
    expect(log).toContain("clear ***");
    // So is the step's summary.
    await api.post(`jobs/${job.id}/summary`, { workerId, markdown: `## made ${value}` });
    const summaries = await store.listStepSummaries(t.service.database.db, id);
    expect(summaries.map((s) => s.markdown)).toEqual(["## made ***"]);
    // Another key's worker id is refused, as on every agent route.
    const foreign = await api
      .post(`jobs/${job.id}/logs`, { workerId: "someone-else", from: 1, lines: [], masks: ["x"] })
      .catch((error: AgentApiError) => error);
    expect((foreign as AgentApiError).status).toBe(403);
  });
});

/** A proxy that passes plain HTTP and refuses every WebSocket handshake, as some corporate proxies do. */
async function noWebSocketProxy(target: number): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    sockets.add(client);
    client.once("data", (first) => {
      if (/^upgrade:\s*websocket/im.test(first.toString("latin1"))) {
        client.end("HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
        return;
      }
      const upstream = net.connect(target, "127.0.0.1");
      sockets.add(upstream);
      upstream.write(first);
      client.pipe(upstream).pipe(client);
      const end = () => {
        client.destroy();
        upstream.destroy();
      };
      upstream.on("error", end).on("close", end);
      client.on("error", end).on("close", end);
    });
    client.on("error", () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

describe("agent wake-ups where WebSockets are blocked", () => {
  let t: TestApp;
  let proxy: Awaited<ReturnType<typeof noWebSocketProxy>>;
  let agent: Worker;
  const modes: string[] = [];

  beforeAll(async () => {
    const app = await openAgentApp(
      "gantry-agent-poll-",
      { "hello.yaml": HELLO, "direct.txt": DIRECT },
      "behind-proxy",
    );
    t = app.t;
    proxy = await noWebSocketProxy(Number(new URL(app.url).port));
    agent = await startAgent(t, {
      server: `http://127.0.0.1:${proxy.port}`,
      token: app.key,
      version: "test",
      // No fallback poll within the test's time: only a wake-up can make the agent claim.
      pollMs: 600_000,
      leaseMs: 5_000,
      onWakeUpMode: (mode) => modes.push(mode),
    });
  });

  afterAll(async () => {
    await agent?.stop();
    await proxy?.close();
    await t?.close();
  });

  it("falls back to long-polling, and a queued job still wakes the agent at once", async () => {
    await waitFor(() => modes.includes("long-poll"), {
      timeoutMs: 30_000,
      what: "the fall-back to long-poll",
    });
    expect(modes).toEqual(["websocket", "long-poll"]);
    // A run queued now is announced by a long-poll's answer.
    const run = await withUnitOfWork(t.service, (tx) => createRun(t.service, tx, { workflow: "hello" }));
    const status = await waitFor(
      async () => {
        const row = await t.service.database.db
          .selectFrom("runs")
          .select("status")
          .where("id", "=", run.id)
          .executeTakeFirst();
        return row && ["succeeded", "failed"].includes(row.status) ? row.status : undefined;
      },
      { timeoutMs: 60_000, what: "the run to end" },
    );
    expect(status).toBe("succeeded");
  });
});

const CHATTY = `name: chatty
steps:
  talk:
    runner: {labels: [linux]}
    run: |
      for i in $(seq 1 40); do echo "line $i"; sleep 0.1; done
`;

describe("an agent through a short network drop (in-process server, real TCP cut)", () => {
  let t: TestApp;
  let proxy: CutProxy;
  let agent: Worker;
  const errors: string[] = [];

  beforeAll(async () => {
    const app = await openAgentApp("gantry-agent-drop-", { "chatty.yaml": CHATTY }, "drop");
    t = app.t;
    proxy = new CutProxy({ host: "127.0.0.1", port: Number(new URL(app.url).port) });
    await proxy.start();
    agent = await startAgent(t, {
      server: `http://127.0.0.1:${proxy.port}`,
      token: app.key,
      version: "test",
      pollMs: 200,
      // A 2 s cut is well inside it: the agent gives a step up only two thirds into a lease it lost.
      leaseMs: 12_000,
      onError: (error) => errors.push(error.message),
    });
  });

  afterAll(async () => {
    await agent?.stop();
    await proxy?.close();
    await t?.close();
  });

  it("spools the step's lines to disk while cut off and sends them once, in order, when back", async () => {
    const run = await withUnitOfWork(t.service, (tx) => createRun(t.service, tx, { workflow: "chatty" }));
    const { db } = t.service.database;
    // Cut once the step has printed and the server holds some of it.
    await waitFor(
      async () => {
        const mark = await db.selectFrom("agent_log_marks").select("lines").executeTakeFirst();
        return mark && Number(mark.lines) >= 5;
      },
      { what: "the first lines at the server" },
    );
    await proxy.cut();
    const cutAt = Date.now();
    await waitFor(() => errors.some((e) => e.includes("spooling to disk")), { what: "the spool to start" });
    await waitFor(() => Date.now() - cutAt >= 2_000, { intervalMs: 50 });
    const heldDuringCut = Number(
      (await db.selectFrom("agent_log_marks").select("lines").executeTakeFirst())?.lines ?? 0,
    );
    await proxy.restore();
    const status = await waitFor(
      async () => {
        const row = await db.selectFrom("runs").select("status").where("id", "=", run.id).executeTakeFirst();
        return row && ["succeeded", "failed"].includes(row.status) ? row.status : undefined;
      },
      { what: "the run to end" },
    );
    expect(status).toBe("succeeded");
    expect(heldDuringCut).toBeLessThan(40);
    const lines = await readLogLines(db, t.logArchive, run.id);
    expect(lines.map((l) => l.text)).toEqual(Array.from({ length: 40 }, (_, i) => `line ${i + 1}`));
    const attempts = await db
      .selectFrom("step_attempts")
      .select("attempt")
      .where("run_id", "=", run.id)
      .execute();
    expect(attempts.map((a) => a.attempt)).toEqual([1]);
  });
});
