import { readdirSync, statSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import path from "node:path";
import S3rver from "s3rver";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { taskLogChunks } from "../store/queries/log-chunks.js";
import { insertTestRun, sqliteContext, taskKey } from "../testing/log-fixtures.js";
import { tempDir } from "../testing/temp-dir.js";
import { LogArchiver } from "./archiver.js";
import { decodeArchive } from "./lines-codec.js";
import { readLogLines, tailLogLines } from "./reader.js";
import { S3LogArchive, s3OptionsFromEnv } from "./s3-archive.js";
import { archiveKey } from "./types.js";
import { TaskLogWriter } from "./writer.js";

const BUCKET = "logs";

interface RunningS3 {
  port: number;
  close(): Promise<void>;
}

/** An S3 server on `port` (0: any) keeping its objects in `dir`, so a restart finds them again. */
async function startS3(dir: string, port = 0): Promise<RunningS3> {
  const server = new S3rver({
    port,
    address: "127.0.0.1",
    silent: true,
    directory: dir,
    configureBuckets: [{ name: BUCKET, configs: [] }],
  });
  const address = (await server.run()) as AddressInfo;
  return {
    port: address.port,
    async close() {
      // The SDK keeps connections alive; drop them so close() does not wait for them to idle out.
      (server as unknown as { httpServer: { closeAllConnections(): void } }).httpServer.closeAllConnections();
      await server.close();
    },
  };
}

let tmp: ReturnType<typeof tempDir>;
let s3: RunningS3 | undefined;

beforeAll(() => {
  // s3rver's default credentials; and the SDK's warning about Node 20, which would clutter the output.
  vi.stubEnv("AWS_ACCESS_KEY_ID", "S3RVER");
  vi.stubEnv("AWS_SECRET_ACCESS_KEY", "S3RVER");
  vi.stubEnv("AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED", "true");
});

afterAll(() => {
  vi.unstubAllEnvs();
});

beforeEach(async () => {
  tmp = tempDir("gantry-s3-");
  s3 = await startS3(path.join(tmp.dir, "s3"));
});

afterEach(async () => {
  await s3?.close();
  s3 = undefined;
  tmp.cleanup();
});

const archiveOn = (port: number, prefix?: string) =>
  new S3LogArchive({
    bucket: BUCKET,
    endpoint: `http://127.0.0.1:${port}`,
    forcePathStyle: true,
    region: "us-east-1",
    ...(prefix ? { prefix } : {}),
  });

describe("S3LogArchive against s3rver", () => {
  it("puts, gets and deletes objects; a missing key gives undefined", async () => {
    const archive = archiveOn(s3!.port, "gantry/");
    const body = '{"offset":0,"text":"h\u00e9llo \u001b[31mred\u001b[0m 🚀"}\n';
    await archive.put("run-1/build.0.1.jsonl", body);
    await archive.put("run-1/test.0.1.jsonl", "second\n");
    expect(await archive.get("run-1/build.0.1.jsonl")).toBe(body);
    expect(await archive.get("run-1/nothing.0.1.jsonl")).toBeUndefined();
    // The prefix is part of the object's key in the bucket: another prefix does not see it.
    expect(await archiveOn(s3!.port).get("run-1/build.0.1.jsonl")).toBeUndefined();
    expect(await archiveOn(s3!.port).get("gantry/run-1/build.0.1.jsonl")).toBe(body);
    await archive.delete(["run-1/build.0.1.jsonl", "run-1/never-existed.jsonl"]);
    expect(await archive.get("run-1/build.0.1.jsonl")).toBeUndefined();
    expect(await archive.get("run-1/test.0.1.jsonl")).toBe("second\n");
    await archive.delete([]);
  });

  it("keeps a log in the spool and its chunks in the store while S3 is down, and uploads it when S3 is back", async () => {
    const ctx = await sqliteContext();
    const errors: Error[] = [];
    const spool = path.join(tmp.dir, "spool");
    const archive = archiveOn(s3!.port);
    // A retry far in the future: the test flushes the spool itself once S3 is back.
    const archiver = new LogArchiver(ctx, archive, spool, (e) => errors.push(e), 3_600_000);
    try {
      const runId = await insertTestRun(ctx);
      const key = taskKey(runId, "upload");
      const writer = new TaskLogWriter(ctx, key, { maxBatchChars: 100 });
      for (let i = 0; i < 25; i++) writer.line(i % 2 ? "stderr" : "stdout", `line ${i}`);
      await writer.close();
      const before = await readLogLines(ctx.database.db, archive, runId);
      expect(before.map((l) => l.text)).toEqual(Array.from({ length: 25 }, (_, i) => `line ${i}`));

      const { port } = s3!;
      await s3!.close();
      s3 = undefined;
      await archiver.archiveTask(key);
      expect(errors).toHaveLength(1);
      expect(errors[0]?.message).toMatch(
        /log archive unreachable, keeping .*upload\.0\.1\.jsonl in the spool/,
      );
      expect(readdirSync(spool)).toHaveLength(2);
      expect(await taskLogChunks(ctx.database.db, key)).not.toEqual([]);
      expect(await ctx.database.db.selectFrom("log_archives").selectAll().execute()).toEqual([]);
      // Meanwhile the log is served, complete, from the store.
      expect(await readLogLines(ctx.database.db, archive, runId)).toEqual(before);

      s3 = await startS3(path.join(tmp.dir, "s3"), port);
      expect(await archiver.flushSpool()).toBe(1);
      expect(readdirSync(spool)).toEqual([]);
      expect(await taskLogChunks(ctx.database.db, key)).toEqual([]);
      const body = await archive.get(archiveKey(runId, "upload", 0, 1));
      expect(decodeArchive(body ?? "")).toEqual(before);
      expect(await readLogLines(ctx.database.db, archive, runId)).toEqual(before);
      expect(await archiver.flushSpool()).toBe(0);
    } finally {
      archiver.stop();
      await ctx.close();
    }
  });
});

describe("S3LogArchive streaming", () => {
  it("uploads a file in one streamed PutObject or in parts, and reads byte ranges and tails back", async () => {
    const file = path.join(tmp.dir, "big.jsonl");
    // 12 MiB of numbered lines: over the (lowered) multipart threshold, three parts of 5 MiB at most.
    const line = (i: number) => `${JSON.stringify({ offset: i, text: "y".repeat(90) })}\n`;
    const lines = Array.from({ length: Math.floor((12 * 1024 * 1024) / line(0).length) }, (_, i) => line(i));
    writeFileSync(file, lines.join(""));
    const bytes = statSync(file).size;
    const parts = new S3LogArchive({
      bucket: BUCKET,
      endpoint: `http://127.0.0.1:${s3!.port}`,
      forcePathStyle: true,
      multipartAboveBytes: 6 * 1024 * 1024,
      partBytes: 5 * 1024 * 1024,
    });
    await parts.putFile("run-2/big.jsonl", file, bytes);
    const single = archiveOn(s3!.port);
    await single.putFile("run-2/single.jsonl", file, bytes);
    for (const key of ["run-2/big.jsonl", "run-2/single.jsonl"]) {
      const stream = await single.open(key);
      let length = 0;
      for await (const chunk of stream as AsyncIterable<Buffer>) length += chunk.length;
      expect(length).toBe(bytes);
      const range = await single.open(key, { start: line(0).length, end: 2 * line(0).length });
      let text = "";
      for await (const chunk of range as AsyncIterable<Buffer>) text += chunk.toString("utf8");
      expect(text).toBe(line(1));
    }
    expect(await single.open("run-2/none.jsonl")).toBeUndefined();
  });

  it("archives a step and serves tails and resumes from S3 with range reads", async () => {
    const ctx = await sqliteContext();
    const archive = archiveOn(s3!.port);
    const archiver = new LogArchiver(ctx, archive, path.join(tmp.dir, "spool"));
    try {
      const runId = await insertTestRun(ctx);
      const key = taskKey(runId, "big");
      const writer = new TaskLogWriter(ctx, key);
      for (let i = 0; i < 30_000; i++) writer.line("stdout", `line ${i} ${"z".repeat(30)}`);
      await writer.close();
      await archiver.archiveTask(key);
      expect(await taskLogChunks(ctx.database.db, key)).toEqual([]);
      const tail = await tailLogLines(ctx.database.db, archive, runId, { lines: 2 });
      expect(tail.map((l) => l.text)).toEqual([
        `line 29998 ${"z".repeat(30)}`,
        `line 29999 ${"z".repeat(30)}`,
      ]);
      const resumed = await readLogLines(ctx.database.db, archive, runId, { after: 29_000 });
      expect(resumed.map((l) => l.offset)).toEqual(Array.from({ length: 999 }, (_, i) => 29_001 + i));
      expect(await readLogLines(ctx.database.db, archive, runId)).toHaveLength(30_000);
    } finally {
      archiver.stop();
      await ctx.close();
    }
  });
});

describe("s3OptionsFromEnv", () => {
  it("reads the GANTRY_LOGS_S3_* variables, and nothing without a bucket", () => {
    expect(s3OptionsFromEnv({})).toBeUndefined();
    expect(
      s3OptionsFromEnv({
        GANTRY_LOGS_S3_BUCKET: "b",
        GANTRY_LOGS_S3_PREFIX: "logs/",
        GANTRY_LOGS_S3_ENDPOINT: "http://minio:9000",
        GANTRY_LOGS_S3_REGION: "eu-west-1",
        GANTRY_LOGS_S3_FORCE_PATH_STYLE: "true",
      }),
    ).toEqual({
      bucket: "b",
      prefix: "logs/",
      endpoint: "http://minio:9000",
      region: "eu-west-1",
      forcePathStyle: true,
    });
    expect(s3OptionsFromEnv({ GANTRY_LOGS_S3_BUCKET: "b", GANTRY_LOGS_S3_FORCE_PATH_STYLE: "0" })).toEqual({
      bucket: "b",
      forcePathStyle: false,
    });
  });
});
