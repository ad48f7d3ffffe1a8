import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { sql } from "kysely";
import { expect } from "vitest";
import { folderText, SWEEP_WORKFLOW, secretSweepSuite } from "../testing/secret-sweep.js";
import { openTestApp } from "../testing/test-app.js";

secretSweepSuite(
  "SQLite file, local log folder",
  {
    open: () => openTestApp("gantry-sweep-", { "sweep.yaml": SWEEP_WORKFLOW }),
    async dumpStore(t) {
      const { db } = t.service.database;
      const tables = await sql<{ name: string }>`select name from sqlite_master where type = 'table'`.execute(
        db,
      );
      expect(tables.rows.map((r) => r.name)).toEqual(expect.arrayContaining(["runs", "log_chunks"]));
      const rows: Record<string, unknown[]> = {};
      for (const { name } of tables.rows)
        rows[name] = (await sql`select * from ${sql.table(name)}`.execute(db)).rows;
      // The file itself too (with its write-ahead log): freed pages keep what a row once held.
      const files = ["gantry.db", "gantry.db-wal"]
        .map((f) => path.join(t.dir, f))
        .filter((f) => existsSync(f))
        .map((f) => readFileSync(f).toString("utf8"));
      expect(files.length).toBeGreaterThan(0);
      return `${JSON.stringify(rows)}\n${files.join("\n")}`;
    },
    dumpArchive: async (t) => folderText(path.join(t.dir, "logs")),
  },
  (t) => t.logArchive,
);
