// biome-ignore-all lint/suspicious/noTemplateCurlyInString: workflows in these tests are full of ${{ }}.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../store/database.js";
import { admin, postgresDatabase } from "../testing/databases.js";
import { waitFor } from "../testing/wait-for.js";
import { replicationNames } from "./event-sources/postgres-logical.js";
import { triggerFixture } from "./trigger-suite.js";

/**
 * on.postgres against the PostgreSQL server here, in the test's own database. Logical replication
 * needs wal_level=logical: scripts/postgres-logical.sh sets it (once, before the tests).
 */
const f = triggerFixture(postgresDatabase);
let client: pg.Client;

beforeAll(async () => {
  client = new pg.Client({ connectionString: f.h.database.url });
  client.on("error", () => {});
  await client.connect();
  await client.query("CREATE TABLE orders (id integer PRIMARY KEY, status text NOT NULL)");
});

afterAll(async () => {
  await f.stopAll();
  await client?.end().catch(() => {});
  // A slot outlives its consumer and keeps WAL (and blocks DROP DATABASE): drop it.
  const { slot } = replicationNames("changes:postgres:0");
  await admin((c) =>
    c.query("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1", [
      slot,
    ]),
  );
});

describe("on.postgres LISTEN/NOTIFY", () => {
  const ID = "notified:postgres:jobs";
  beforeAll(async () => {
    await f.register({
      "notified.yaml": `name: notified
inputs: {job: {type: string, required: true}}
on:
  postgres: {name: jobs, url: "${f.h.database.url}", channel: order_events, inputs: {job: "\${{ trigger.payload.job || trigger.payload }}"}}
steps:
  a: {run: "true"}
`,
    });
  });

  it("starts a run per notification, JSON payloads parsed", async () => {
    await f.listeners();
    await f.waitForState(ID, "connected");
    await client.query(`NOTIFY order_events, '{"job": "resize"}'`);
    await client.query(`NOTIFY order_events, 'plain text'`);
    const runs = await f.waitForRuns("notified", 2);
    expect(runs.map((r) => r.inputs.job)).toEqual(["resize", "plain text"]);
    expect(runs[0]?.trigger).toMatchObject({
      type: "postgres",
      channel: "order_events",
      payload: { job: "resize" },
    });
  });

  it("exactly one of two servers consumes; the other takes over when the first dies", async () => {
    const before = (await f.runs("notified")).length;
    const second = await openDatabase(f.h.database.url!, { poolSize: 2 });
    try {
      const a = await f.listeners({ id: "server-a" });
      await f.waitForState(ID, "connected");
      const b = await f.listeners({ id: "server-b" }, { ...f.ctx, database: second });
      await waitFor(() => b.all.get(ID)?.status === "standby", { what: "server b to stand by" });
      expect((await f.status(ID)).holder).toBe("server-a");
      await client.query(`NOTIFY order_events, '{"job": "once"}'`);
      await f.waitForRuns("notified", before + 1);
      // A crash: a keeps its lease row; b takes over when it expires (2 s here).
      await a.stop({ release: false });
      await waitFor(
        async () => (await f.status(ID)).holder === "server-b" && (await f.status(ID)).connected,
        {
          timeoutMs: 10_000,
          what: "server b to take the trigger over",
        },
      );
      await client.query(`NOTIFY order_events, '{"job": "after"}'`);
      const runs = await f.waitForRuns("notified", before + 2);
      expect(runs.slice(before).map((r) => r.inputs.job)).toEqual(["once", "after"]);
      await b.stop();
    } finally {
      await second.close();
    }
  });
});

describe("on.postgres logical replication (pgoutput)", () => {
  const ID = "changes:postgres:0";
  beforeAll(async () => {
    await f.register({
      "changes.yaml": `name: changes
inputs: {op: {type: string, required: true}, id: {type: integer, default: 0}}
on:
  postgres:
    - url: "${f.h.database.url}"
      table: public.orders
      operations: [insert, update, delete]
      inputs: {op: "\${{ trigger.payload.operation }}", id: "\${{ trigger.payload.after.id || trigger.payload.before.id }}"}
steps:
  a: {run: "true"}
`,
    });
  });

  it("starts a run per change with the row before and after", async () => {
    await f.listeners();
    await f.waitForState(ID, "connected");
    await client.query("INSERT INTO orders VALUES (1, 'new'), (2, 'new')");
    await client.query("UPDATE orders SET status = 'paid' WHERE id = 1");
    await client.query("DELETE FROM orders WHERE id = 2");
    const runs = await f.waitForRuns("changes", 4);
    expect(runs.map((r) => [r.inputs.op, r.inputs.id])).toEqual([
      ["insert", 1],
      ["insert", 2],
      ["update", 1],
      ["delete", 2],
    ]);
    expect(runs[2]?.trigger.payload).toEqual({
      operation: "update",
      schema: "public",
      table: "orders",
      before: { id: 1, status: "new" },
      after: { id: 1, status: "paid" },
    });
    expect(runs[3]?.trigger.payload).toMatchObject({ before: { id: 2, status: "new" }, after: null });
    expect(runs[0]?.trigger).toMatchObject({
      type: "postgres",
      table: "orders",
      lsn: expect.stringMatching(/\//),
    });
  });

  it("resumes from its confirmed position after a restart: changes made while down start runs, none twice", async () => {
    await f.stopAll();
    await client.query("INSERT INTO orders VALUES (3, 'new')");
    await client.query("UPDATE orders SET status = 'sent' WHERE id = 3");
    await f.listeners();
    const runs = await f.waitForRuns("changes", 6);
    expect(runs.slice(4).map((r) => [r.inputs.op, r.inputs.id])).toEqual([
      ["insert", 3],
      ["update", 3],
    ]);
    await client.query("INSERT INTO orders VALUES (4, 'new')");
    expect((await f.waitForRuns("changes", 7)).length).toBe(7);
    expect(await f.runs("changes")).toHaveLength(7);
  });
});
