import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { LogLine, Worker } from "@gantry/engine";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { waitFor } from "../../../engine/src/testing/wait-for.js";
import { createApiKey } from "../auth/keys.js";
import { createAgentKey, openAgentApp, startAgent } from "../testing/agent-app.js";
import { startTestWorker, type TestApp } from "../testing/test-app.js";

/** Made at run time by both steps, so no workflow file or command line holds it. */
const LATE = "late-secret-42";

// `register`, on an agent (label linux), registers the value, says so, and keeps running until `print`
// is done; `print`, started alongside elsewhere, prints the value only once the test saw that line stored.
const parallel = (gates: string, printOn: string) => `name: parallel
steps:
  register:
    runner: {labels: [linux]}
    run: |
      V="late-$(echo secret)-$((40 + 2))"
      echo "::add-mask::$V"
      echo "registered"
      while [ ! -f "${gates}/printed" ]; do sleep 0.05; done
  print:
    runner: {labels: [${printOn}]}
    run: |
      while [ ! -f "${gates}/go" ]; do sleep 0.05; done
      V="late-$(echo secret)-$((40 + 2))"
      echo "value: $V"
      printf '%s\\n' "$V" | base64
      echo "v=$V" >> "$GANTRY_OUTPUT"
      touch "${gates}/printed"
`;

describe("an ::add-mask:: value an agent's step registers reaches the steps running in parallel", () => {
  let t: TestApp | undefined;
  let gates: string | undefined;
  let socket: WebSocket | undefined;
  const workers: Worker[] = [];
  afterEach(async () => {
    socket?.terminate();
    for (const w of workers.splice(0)) await w.stop();
    await t?.close();
    if (gates) rmSync(gates, { recursive: true, force: true });
  });

  it.each([
    ["on a store worker", "store"],
    ["on another agent", "other"],
  ])(
    "%s: the parallel step's log (API, WebSocket, stored chunks) and its output show it masked",
    async (_name, printOn) => {
      gates = mkdtempSync(path.join(tmpdir(), "gantry-agent-mask-"));
      const opened = await openAgentApp(
        "gantry-agent-mask-",
        { "parallel.yaml": parallel(gates, printOn) },
        "registering",
      );
      t = opened.t;
      const { service, dir } = t;
      const { db } = service.database;
      const admin = (await createApiKey(db, { name: "admin", role: "admin", createdBy: "test" }, Date.now()))
        .key;
      const errors: Error[] = [];
      const onError = (error: Error) => errors.push(error);
      const agent = { server: opened.url, version: "test", pollMs: 200, leaseMs: 10_000, onError };
      workers.push(await startAgent(t, { ...agent, token: opened.key, dataDir: path.join(dir, "agent-a") }));
      if (printOn === "store")
        workers.push(await startTestWorker(service, dir, { labels: ["store"], leaseMs: 10_000, onError }));
      else {
        const other = await createAgentKey(t, "printing", ["other"]);
        workers.push(await startAgent(t, { ...agent, token: other.key, dataDir: path.join(dir, "agent-b") }));
      }
      const api = (route: string, init: RequestInit = {}) =>
        fetch(`${opened.url}/api/v1/${route}`, {
          ...init,
          headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
        });
      const started = await api("workflows/parallel/runs", { method: "POST", body: "{}" });
      expect(started.status).toBe(201);
      const id = ((await started.json()) as { id: string }).id;

      // A follower of the run's log over the WebSocket, from its start to the end of the run.
      socket = new WebSocket(`${opened.url.replace(/^http/, "ws")}/api/v1/runs/${id}/logs`, {
        headers: { authorization: `Bearer ${admin}` },
      });
      const followed: LogLine[] = [];
      socket.on("message", (data) => followed.push(JSON.parse(String(data)) as LogLine));
      socket.on("error", onError);
      const closed = new Promise<string>((resolve) =>
        socket?.on("close", (_code, reason) => resolve(String(reason))),
      );

      // The agent's step printed a line after its ::add-mask::, and the server stored it.
      await waitFor(
        async () => (await (await api(`runs/${id}/logs?step=register`)).text()).includes("registered"),
        {
          what: "the line the agent's step printed after registering the value",
        },
      );
      const running = await db
        .selectFrom("jobs")
        .select(["step", "status", "worker_id"])
        .where("run_id", "=", id)
        .execute();
      expect(running.map((j) => [j.step, j.status]).sort()).toEqual([
        ["print", "running"],
        ["register", "running"],
      ]);
      expect(new Set(running.map((j) => j.worker_id)).size).toBe(2);
      writeFileSync(path.join(gates, "go"), "");

      const status = await waitFor(async () => {
        const s = ((await (await api(`runs/${id}`)).json()) as { status: string }).status;
        return ["succeeded", "failed"].includes(s) ? s : undefined;
      });
      expect(status).toBe("succeeded");
      expect(await closed).toBe("run ended");
      const log = await (await api(`runs/${id}/logs?step=print`)).text();
      expect(log).toContain("value: ***");
      expect(followed.map((l) => l.text)).toContain("value: ***");
      const detail = await (await api(`runs/${id}`)).text();
      const chunks = JSON.stringify(await db.selectFrom("log_chunks").selectAll().execute());
      const base64 = Buffer.from(`${LATE}\n`).toString("base64");
      for (const [where, text] of [
        ["log", log],
        ["websocket", JSON.stringify(followed)],
        ["run", detail],
        ["store", chunks],
        ["errors", errors.map((e) => e.message).join("\n")],
      ] as const) {
        expect(text, where).not.toContain(LATE);
        expect(text, where).not.toContain(base64.slice(0, 16));
      }
    },
  );
});
