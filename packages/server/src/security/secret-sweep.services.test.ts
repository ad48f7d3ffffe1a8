import type { AddressInfo } from "node:net";
import path from "node:path";
import { S3LogArchive } from "@gantry/engine";
import { sql } from "kysely";
import S3rver from "s3rver";
import { expect, vi } from "vitest";
import { postgresDatabase } from "../../../engine/src/testing/databases.js";
import { tempDir } from "../../../engine/src/testing/temp-dir.js";
import { folderText, SWEEP_WORKFLOW, secretSweepSuite } from "../testing/secret-sweep.js";
import { openTestApp, type TestApp } from "../testing/test-app.js";

const BUCKET = "logs";
/** Where s3rver keeps the bucket's objects, per app. */
const s3Folders = new WeakMap<TestApp, string>();
const archives = new WeakMap<TestApp, S3LogArchive>();

secretSweepSuite(
  "PostgreSQL tables, S3 log archive (s3rver)",
  {
    async open() {
      // s3rver's fixed credentials; and the SDK's warning about Node 20, which would clutter the output.
      vi.stubEnv("AWS_ACCESS_KEY_ID", "S3RVER");
      vi.stubEnv("AWS_SECRET_ACCESS_KEY", "S3RVER");
      vi.stubEnv("AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED", "true");
      const tmp = tempDir("gantry-sweep-s3-");
      const folder = path.join(tmp.dir, "s3");
      const server = new S3rver({
        port: 0,
        address: "127.0.0.1",
        silent: true,
        directory: folder,
        configureBuckets: [{ name: BUCKET, configs: [] }],
      });
      const { port } = (await server.run()) as AddressInfo;
      const logArchive = new S3LogArchive({
        bucket: BUCKET,
        endpoint: `http://127.0.0.1:${port}`,
        forcePathStyle: true,
        region: "us-east-1",
      });
      const app = await openTestApp(
        "gantry-sweep-pg-",
        { "sweep.yaml": SWEEP_WORKFLOW },
        { database: await postgresDatabase(), logArchive },
      );
      s3Folders.set(app, folder);
      archives.set(app, logArchive);
      const close = app.close;
      app.close = async () => {
        await close();
        // The SDK keeps connections alive; drop them so close() does not wait for them to idle out.
        (
          server as unknown as { httpServer: { closeAllConnections(): void } }
        ).httpServer.closeAllConnections();
        await server.close();
        tmp.cleanup();
      };
      return app;
    },
    async dumpStore(t) {
      const { db } = t.service.database;
      const tables = await sql<{ name: string }>`
        select table_name as name from information_schema.tables
        where table_schema = 'public' and table_type = 'BASE TABLE'`.execute(db);
      expect(tables.rows.map((r) => r.name)).toEqual(expect.arrayContaining(["runs", "log_chunks"]));
      const rows: Record<string, unknown[]> = {};
      for (const { name } of tables.rows)
        rows[name] = (await sql`select * from ${sql.table(name)}`.execute(db)).rows;
      return JSON.stringify(rows);
    },
    dumpArchive: async (t) => folderText(s3Folders.get(t) as string),
  },
  (t) => archives.get(t) as S3LogArchive,
);
