import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../store/database.js";
import { admin, postgresDatabase } from "../testing/databases.js";
import { waitFor } from "../testing/wait-for.js";
import { type Channel, RECONNECTED } from "./notifier.js";
import { PgNotifier } from "./pg-notifier.js";

describe("PgNotifier", () => {
  let database: Database;
  const notifiers: PgNotifier[] = [];

  /** A notifier, its state changes, and everything it delivered, by channel. */
  async function start() {
    const states: Array<"connected" | "disconnected"> = [];
    const notifier = await PgNotifier.start(database.url!, database.pool!, (state) => states.push(state));
    notifiers.push(notifier);
    const received: Array<[Channel, string]> = [];
    for (const channel of ["jobs", "cancel"] as const)
      notifier.subscribe(channel, (payload) => received.push([channel, payload]));
    return { notifier, states, received };
  }

  /** The backends LISTENing on this test's database (each notifier has one). */
  async function listeners(): Promise<number[]> {
    const { rows } = await database.pool!.query<{ pid: number }>(
      "select pid from pg_stat_activity where datname = current_database() and query ilike 'LISTEN%'",
    );
    return rows.map((r) => r.pid);
  }

  beforeAll(async () => {
    database = await postgresDatabase();
  });
  afterAll(async () => {
    await database?.close();
  });
  afterEach(async () => {
    for (const notifier of notifiers.splice(0)) await notifier.close();
    await waitFor(async () => (await listeners()).length === 0, {
      what: "the notifiers' connections to close",
    });
  });

  it("delivers a NOTIFY to subscribers of this and other processes, on the right channel", async () => {
    const a = await start();
    const b = await start();
    expect(a.states).toEqual(["connected"]);
    await a.notifier.notify("cancel", "run-42");
    await b.notifier.notify("jobs", "wake");
    for (const side of [a, b]) {
      await waitFor(() => side.received.length >= 2, { what: "both notifications" });
      expect(side.received).toEqual(
        expect.arrayContaining([
          ["cancel", "run-42"],
          ["jobs", "wake"],
        ]),
      );
      expect(side.received.filter(([c]) => c === "cancel")).toEqual([["cancel", "run-42"]]);
    }
    // Unsubscribing stops delivery to that handler only.
    const seen: string[] = [];
    const off = a.notifier.subscribe("jobs", (p) => seen.push(p));
    await a.notifier.notify("jobs", "one");
    await waitFor(() => seen.includes("one"), { what: "the first notification" });
    off();
    await a.notifier.notify("jobs", "two");
    await waitFor(() => a.received.some(([, p]) => p === "two"), { what: "the second notification" });
    expect(seen).toEqual(["one"]);
  });

  it("reconnects after its LISTEN connection is terminated, and delivers again", async () => {
    const { notifier, states, received } = await start();
    const [pid] = await waitFor(
      async () => {
        const pids = await listeners();
        return pids.length === 1 ? pids : undefined;
      },
      { what: "the LISTEN connection" },
    );
    await database.pool!.query("select pg_terminate_backend($1)", [pid]);

    await waitFor(() => states.filter((s) => s === "connected").length === 2, {
      timeoutMs: 10_000,
      what: "the notifier to reconnect",
    });
    expect(states).toEqual(["connected", "disconnected", "connected"]);
    const [newPid] = await listeners();
    expect(newPid).toBeDefined();
    expect(newPid).not.toBe(pid);
    // A reconnect wakes the workers once: notifications sent while it was away are lost.
    expect(received).toContainEqual(["jobs", RECONNECTED]);

    await notifier.notify("jobs", "after-reconnect");
    await waitFor(() => received.some(([, p]) => p === "after-reconnect"), {
      what: "a notification after the reconnect",
    });
  });

  it("keeps retrying while the database refuses connections, and recovers", async () => {
    const { notifier, states, received } = await start();
    const { rows } = await database.pool!.query<{ db: string }>("select current_database() as db");
    const name = rows[0]!.db;
    // From another database: a session cannot lock out its own.
    await admin((client) => client.query(`alter database "${name}" allow_connections false`));
    try {
      const [pid] = await listeners();
      await database.pool!.query("select pg_terminate_backend($1)", [pid]);
      // The lost connection, then at least one reconnect attempt that the server refused.
      await waitFor(() => states.filter((s) => s === "disconnected").length >= 2, {
        timeoutMs: 10_000,
        what: "a refused reconnect",
      });
      expect(states.filter((s) => s === "connected")).toHaveLength(1);
    } finally {
      await admin((client) => client.query(`alter database "${name}" allow_connections true`));
    }
    await waitFor(() => states.at(-1) === "connected", {
      timeoutMs: 15_000,
      what: "the notifier to reconnect",
    });
    await notifier.notify("cancel", "back");
    await waitFor(() => received.some(([c, p]) => c === "cancel" && p === "back"), {
      what: "a notification after recovering",
    });
  });

  it("closes its LISTEN connection and does not reconnect after close", async () => {
    const { notifier, states } = await start();
    await waitFor(async () => (await listeners()).length === 1, { what: "the LISTEN connection" });
    await notifier.close();
    await waitFor(async () => (await listeners()).length === 0, { what: "the LISTEN connection to close" });
    expect(states).toEqual(["connected"]);
  });
});
