// biome-ignore-all lint/suspicious/noTemplateCurlyInString: workflows in these tests are full of ${{ }}.
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { expandLines, type LinesBatch } from "@gantry/core";
import { LogArchiver, type LogLine, type ServiceContext, type Worker } from "@gantry/engine";
import type { FastifyInstance } from "fastify";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { waitFor } from "../../../engine/src/testing/wait-for.js";
import { openTestApp, startTestWorker, type TestApp } from "../testing/test-app.js";

/** A step waits for its gate file (at most 30 s), so the test decides when it goes on. */
const waitGate = 'for i in $(seq 600); do [ -f "$GATE" ] && break; sleep 0.05; done';

const SECRET = "hunter2-sekret";
const base64 = (s: string) => Buffer.from(s).toString("base64");
/** The value the step registers with ::add-mask::; built at run time, so no workflow file contains it. */
const GENERATED = "gen-private-9";

const WORKFLOWS: Record<string, string> = {
  "stream.yaml": `
name: stream
inputs:
  gate: {type: string, required: true}
steps:
  talk:
    env: {GATE: "\${{ inputs.gate }}"}
    run: |
      echo "line 1"
      echo "line 2"
      echo "line 3"
      ${waitGate}
      echo "line 4"
      echo "line 5"
      echo "line 6"
`,
  "multi.yaml": `
name: multi
steps:
  first:
    run: |
      echo "first a"
      echo "first b" >&2
  second:
    needs: first
    run: echo "second a"
`,
  "masked.yaml": `
name: masked
inputs:
  token: {type: secret, required: true}
  gate: {type: string, required: true}
steps:
  leak:
    env: {TOKEN: "\${{ inputs.token }}", GATE: "\${{ inputs.gate }}"}
    # Splices the secret into the script on purpose: the log must still show it masked.
    unsafe_interpolation: true
    run: |
      echo "inline: \${{ inputs.token }}"
      echo "from env: $TOKEN"
      printf 'hunt'; sleep 0.2; printf 'er2-sekret\\n'
      printf '%s' "$TOKEN" | base64
      GENERATED="gen-$(echo private)-$((6 + 3))"
      echo "::add-mask::$GENERATED"
      echo "generated: $GENERATED"
      printf '%s' "$GENERATED" | base64
      echo "waiting"
      ${waitGate}
      echo "done"
`,
};

interface Socket {
  messages: LogLine[];
  closed: Promise<{ code: number; reason: string }>;
  socket: WebSocket;
}

describe("run logs over HTTP and WebSocket", () => {
  let dir: string;
  let service: ServiceContext;
  let app: FastifyInstance;
  let base: string;
  let worker: Worker;
  let stack: TestApp | undefined;
  let archiver: LogArchiver;
  const errors: Error[] = [];
  const sockets: WebSocket[] = [];

  beforeAll(async () => {
    stack = await openTestApp("gantry-logs-api-", WORKFLOWS);
    ({ dir, service, app } = stack);
    const { logArchive } = stack;
    base = (await app.listen({ port: 0, host: "127.0.0.1" })).replace(/^http/, "ws");
    archiver = new LogArchiver(service, logArchive, path.join(dir, "spool"), (e) => errors.push(e));
    worker = await startTestWorker(service, dir, { logs: { archiver }, onError: (e) => errors.push(e) });
  });

  afterAll(async () => {
    for (const socket of sockets) socket.terminate();
    await worker?.stop();
    archiver?.stop();
    await stack?.close();
  });

  async function startRun(workflow: string, inputs: Record<string, unknown> = {}): Promise<string> {
    const res = await app.inject({
      method: "POST",
      url: `/api/v1/workflows/${workflow}/runs`,
      payload: { inputs },
    });
    expect(res.statusCode).toBe(201);
    return res.json().id;
  }

  async function runStatus(id: string): Promise<string> {
    return (await app.inject({ url: `/api/v1/runs/${id}` })).json().status;
  }

  const waitUntil = <T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>) =>
    waitFor(check, { what, timeoutMs: 15_000 });

  const finished = (id: string) =>
    waitUntil(`run ${id} to finish`, async () => {
      const status = await runStatus(id);
      return !["pending", "queued", "running"].includes(status) && status;
    });

  /** Opens a WebSocket on a run's log and collects its messages until the server closes it. */
  async function follow(id: string, query = ""): Promise<Socket> {
    const socket = new WebSocket(`${base}/api/v1/runs/${id}/logs${query}`);
    sockets.push(socket);
    const messages: LogLine[] = [];
    // With ?batch=true a message is an array of lines; with ?packed=true an array of packed batches.
    socket.on("message", (data) => {
      const message = JSON.parse(String(data)) as LogLine | LogLine[] | LinesBatch[];
      if (query.includes("packed=true"))
        for (const batch of message as LinesBatch[]) expandLines(batch, messages);
      else messages.push(...([] as LogLine[]).concat(message as LogLine | LogLine[]));
    });
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      socket.on("close", (code, reason) => resolve({ code, reason: String(reason) })),
    );
    await new Promise<void>((resolve, reject) => {
      socket.once("open", () => resolve());
      socket.once("error", reject);
    });
    return { messages, closed, socket };
  }

  /** The whole log as text, checked for a 200. */
  async function text(id: string, query = ""): Promise<string> {
    const res = await app.inject({ url: `/api/v1/runs/${id}/logs${query}` });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^text\/plain/);
    return res.body;
  }

  it("streams live lines, resumes after a dropped socket with no gap or duplicate, and closes at the end", async () => {
    const gate = path.join(dir, "stream-gate");
    const started = Date.now();
    const id = await startRun("stream", { gate });
    const first = await follow(id);
    await waitUntil("lines 1-3", () => first.messages.length >= 3);
    // Live: the step is still waiting for its gate.
    expect(await runStatus(id)).toBe("running");
    expect(first.messages.map((m) => m.text)).toEqual(["line 1", "line 2", "line 3"]);
    const last = first.messages.at(-1)!.offset;

    // Drop the connection the hard way, as a network failure would.
    first.socket.terminate();
    await first.closed;
    writeFileSync(gate, "");
    const second = await follow(id, `?after=${last}`);
    const closed = await second.closed;
    expect(closed).toEqual({ code: 1000, reason: "run ended" });
    expect(await runStatus(id)).toBe("succeeded");

    const all = [...first.messages, ...second.messages];
    expect(all.map((m) => m.text)).toEqual(["line 1", "line 2", "line 3", "line 4", "line 5", "line 6"]);
    const offsets = all.map((m) => m.offset);
    for (let i = 1; i < offsets.length; i++) expect(offsets[i]).toBeGreaterThan(offsets[i - 1]!);
    for (const message of all) {
      expect(Object.keys(message).sort()).toEqual([
        "attempt",
        "item",
        "offset",
        "step",
        "stream",
        "text",
        "ts",
      ]);
      expect(message).toMatchObject({ step: "talk", item: 0, attempt: 1, stream: "stdout" });
      expect(message.ts).toBeGreaterThanOrEqual(started);
      expect(message.ts).toBeLessThanOrEqual(Date.now());
    }
    // The finished step's log was archived: no live chunks are left for it.
    expect(
      await service.database.db.selectFrom("log_chunks").select("run_id").where("run_id", "=", id).execute(),
    ).toEqual([]);
    // A reconnect after the end replays from the archive.
    const replay = await follow(id, `?after=${offsets[2]}`);
    await replay.closed;
    expect(replay.messages).toEqual(second.messages);
  });

  it("filters by step, serves the log as text with and without a step and with a tail, and 404s", async () => {
    const id = await startRun("multi");
    expect(await finished(id)).toBe("succeeded");

    const onlySecond = await follow(id, "?step=second");
    expect((await onlySecond.closed).code).toBe(1000);
    expect(onlySecond.messages.map((m) => [m.step, m.text])).toEqual([["second", "second a"]]);
    const onlyFirst = await follow(id, "?step=first");
    await onlyFirst.closed;
    expect(onlyFirst.messages.map((m) => [m.stream, m.text])).toEqual([
      ["stdout", "first a"],
      ["stderr", "first b"],
    ]);

    expect(await text(id)).toBe("first | first a\nfirst | first b\nsecond | second a\n");
    expect(await text(id, "?step=first")).toBe("first a\nfirst b\n");
    expect(await text(id, "?step=second")).toBe("second a\n");
    expect(await text(id, "?tail=2")).toBe("first | first b\nsecond | second a\n");
    expect(await text(id, "?step=first&tail=1")).toBe("first b\n");
    const firstOffset = onlyFirst.messages[0]!.offset;
    expect(await text(id, `?after=${firstOffset}`)).toBe("first | first b\nsecond | second a\n");
    expect(await text(id, "?step=nothing")).toBe("");
    // A range: `limit` lines after `after`.
    expect(await text(id, "?limit=1")).toBe("first | first a\n");
    expect(await text(id, `?after=${firstOffset}&limit=1`)).toBe("first | first b\n");
    expect(await text(id, "?tail=2&limit=1")).toBe("first | first b\n");

    // Batches: the same lines, fewer messages.
    const batched = await follow(id, "?batch=true");
    expect((await batched.closed).code).toBe(1000);
    expect(batched.messages.map((m) => m.text)).toEqual(["first a", "first b", "second a"]);
    // Packed batches: the same lines again, each step's run of lines as one batch.
    const packed = await follow(id, "?packed=true");
    expect((await packed.closed).code).toBe(1000);
    expect(packed.messages).toEqual(batched.messages);

    const missing = await app.inject({ url: "/api/v1/runs/no-such-run/logs" });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error).toBe("unknown run 'no-such-run'");
    expect((await app.inject({ url: `/api/v1/runs/${id}/logs?tail=0` })).statusCode).toBe(400);
  });

  it("masks secret inputs, a secret printed in two pieces, base64 forms and ::add-mask:: values everywhere", async () => {
    const gate = path.join(dir, "masked-gate");
    const id = await startRun("masked", { token: SECRET, gate });
    const live = await follow(id);
    await waitUntil("the step to wait for its gate", () => live.messages.some((m) => m.text === "waiting"));
    // While the step runs its lines are live chunks in the store: no row may hold a secret.
    const leaks = [SECRET, "hunter2", base64(SECRET), base64(SECRET).replace(/=+$/, ""), GENERATED];
    leaks.push(base64(GENERATED).replace(/=+$/, ""));
    const whileRunning = await dumpDatabase();
    expect(whileRunning).toContain("inline: ***");
    for (const leak of leaks) expect(whileRunning).not.toContain(leak);

    writeFileSync(gate, "");
    await live.closed;
    expect(await runStatus(id)).toBe("succeeded");
    const expected = [
      "inline: ***",
      "from env: ***",
      "***",
      "***",
      "generated: ***",
      "***",
      "waiting",
      "done",
    ];
    expect(live.messages.map((m) => m.text)).toEqual(expected);
    expect(await text(id, "?step=leak")).toBe(`${expected.join("\n")}\n`);

    // The archived object on disk, and every row of the database once the run is over.
    const objects = filesUnder(path.join(dir, "logs", id));
    expect(objects).toHaveLength(1);
    const archived = readFileSync(objects[0]!, "utf8");
    expect(archived).toContain("from env: ***");
    const afterwards = await dumpDatabase();
    expect(afterwards).toContain(`${id}/leak.0.1.jsonl`);
    for (const leak of leaks) {
      expect(archived).not.toContain(leak);
      expect(afterwards).not.toContain(leak);
    }
    // Nothing is left in the spool (small logs never enter it).
    const spool = path.join(dir, "spool");
    expect(existsSync(spool) ? readdirSync(spool) : []).toEqual([]);
    expect(errors).toEqual([]);
  });

  /** Every row of every table, as JSON. */
  async function dumpDatabase(): Promise<string> {
    const { db } = service.database;
    const tables = await sql<{ name: string }>`select name from sqlite_master where type = 'table'`.execute(
      db,
    );
    expect(tables.rows.map((t) => t.name)).toEqual(
      expect.arrayContaining(["runs", "log_chunks", "log_archives"]),
    );
    const dump: Record<string, unknown[]> = {};
    for (const { name } of tables.rows) {
      dump[name] = (await sql`select * from ${sql.table(name)}`.execute(db)).rows;
    }
    return JSON.stringify(dump);
  }
});

function filesUnder(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name));
}
