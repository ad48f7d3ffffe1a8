import type { AddressInfo } from "node:net";
import path from "node:path";
import S3rver from "s3rver";
import { afterAll, beforeAll, vi } from "vitest";
import { S3LogArchive } from "../logs/s3-archive.js";
import { postgresDatabase } from "../testing/databases.js";
import { tempDir } from "../testing/temp-dir.js";
import { describeFiles } from "./files-suite.js";

beforeAll(() => {
  vi.stubEnv("AWS_ACCESS_KEY_ID", "S3RVER");
  vi.stubEnv("AWS_SECRET_ACCESS_KEY", "S3RVER");
  vi.stubEnv("AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED", "true");
});
afterAll(() => {
  vi.unstubAllEnvs();
});

// Every worker of the suite has its own workspace folder; the files meet only in S3 and PostgreSQL.
describeFiles("PostgreSQL and S3 (s3rver)", postgresDatabase, async () => {
  const dir = tempDir("gantry-s3-files-");
  const server = new S3rver({
    port: 0,
    address: "127.0.0.1",
    silent: true,
    directory: path.join(dir.dir, "s3"),
    configureBuckets: [{ name: "gantry", configs: [] }],
  });
  const address = (await server.run()) as AddressInfo;
  return {
    store: new S3LogArchive({
      bucket: "gantry",
      prefix: "objects/",
      endpoint: `http://127.0.0.1:${address.port}`,
      forcePathStyle: true,
    }),
    async stop() {
      (server as unknown as { httpServer: { closeAllConnections(): void } }).httpServer.closeAllConnections();
      await server.close();
      dir.cleanup();
    },
  };
});
