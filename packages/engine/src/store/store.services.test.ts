import { afterEach, describe, expect, it } from "vitest";
import { type Database, migrate, openDatabase } from "../store/database.js";
import { postgresDatabase } from "../testing/databases.js";
import { waitFor } from "../testing/wait-for.js";
import { insertRun } from "./queries/insert-run.js";
import { lockRun } from "./queries/lock-run.js";
import { updateRun } from "./queries/update-run.js";
import { describeStore, runRow } from "./store-suite.js";

describeStore("PostgreSQL", postgresDatabase);

describe("store on PostgreSQL only", () => {
  const opened: Database[] = [];
  afterEach(async () => {
    // Extra pools first: the test database is dropped when the first-opened one closes.
    for (const database of opened.reverse()) await database.close();
    opened.length = 0;
  });

  it("migrates from several processes at once", async () => {
    const database = await postgresDatabase({ empty: true });
    opened.push(database);
    const others = await Promise.all([1, 2, 3].map(() => openDatabase(database.url!, { poolSize: 2 })));
    opened.push(...others);
    await Promise.all(others.map((other) => migrate(other)));
    const tables = await database.db
      .selectFrom("information_schema.tables" as never)
      .select("table_name" as never)
      .where("table_schema" as never, "=", "public" as never)
      .execute();
    expect(tables.map((t) => (t as { table_name: string }).table_name)).toEqual(
      expect.arrayContaining(["bundles", "jobs", "runs", "step_attempts", "workers", "workflows"]),
    );
    // Each migration ran once, though three processes raced to run it.
    const applied = (await database.db
      .selectFrom("kysely_migration" as never)
      .select("name" as never)
      .execute()) as Array<{ name: string }>;
    expect(applied.length).toBeGreaterThan(0);
    expect(new Set(applied.map((a) => a.name)).size).toBe(applied.length);
  });

  it("lockRun makes a second transaction on the same run wait, then see the first one's write", async () => {
    const database = await postgresDatabase();
    opened.push(database);
    await insertRun(database.db, runRow("r1"));
    let second: Promise<string | undefined> | undefined;
    await database.db.transaction().execute(async (tx) => {
      await lockRun(tx, "postgres", "r1");
      second = database.db
        .transaction()
        .execute(async (tx2) => (await lockRun(tx2, "postgres", "r1"))?.status);
      // The second transaction is blocked on the row lock, not merely not started yet.
      await waitFor(
        async () => {
          const { rows } = await database.pool!.query(
            "select 1 from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'",
          );
          return rows.length > 0;
        },
        { what: "the second transaction to wait on the run's row lock" },
      );
      await updateRun(tx, "r1", { status: "running" });
    });
    expect(await second).toBe("running");
  });
});
