// biome-ignore-all lint/suspicious/noTemplateCurlyInString: workflows in these tests are full of ${{ }}.
import type { AddressInfo } from "node:net";
import {
  CreateStreamCommand,
  KinesisClient,
  ListShardsCommand,
  MergeShardsCommand,
  PutRecordCommand,
} from "@aws-sdk/client-kinesis";
import { NodeHttpHandler } from "@smithy/node-http-handler";
// @ts-expect-error kinesalite ships no type declarations
import kinesalite from "kinesalite";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { sqliteDatabase } from "../testing/databases.js";
import { waitFor } from "../testing/wait-for.js";
import { triggerFixture } from "./trigger-suite.js";

/** kinesalite: a Kinesis-protocol server in this process (ENVIRONMENT.md); HTTP/1.1 only. */
const f = triggerFixture(sqliteDatabase);
let server: {
  listen(port: number, cb: () => void): void;
  close(cb: () => void): void;
  address(): AddressInfo;
};
let endpoint: string;
let client: KinesisClient;
const ID = "events:kinesis:0";

beforeAll(async () => {
  vi.stubEnv("AWS_ACCESS_KEY_ID", "test");
  vi.stubEnv("AWS_SECRET_ACCESS_KEY", "test");
  vi.stubEnv("AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED", "true");
  server = kinesalite({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 50 });
  await new Promise<void>((resolve) => server.listen(0, resolve));
  endpoint = `http://127.0.0.1:${server.address().port}`;
  client = new KinesisClient({ region: "us-east-1", endpoint, requestHandler: new NodeHttpHandler() });
  await client.send(new CreateStreamCommand({ StreamName: "orders", ShardCount: 2 }));
  await f.register({
    "events.yaml": `name: events
inputs: {n: {type: integer, required: true}}
on:
  kinesis:
    - {stream: orders, region: us-east-1, endpoint: "${endpoint}", from: trim_horizon, inputs: {n: "\${{ trigger.payload.n }}"}}
steps:
  a: {run: "true"}
`,
  });
});

afterAll(async () => {
  await f.stopAll();
  client?.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  vi.unstubAllEnvs();
});

/** Puts records with partition keys spread over both shards' hash ranges. */
async function put(numbers: number[]) {
  for (const n of numbers)
    await client.send(
      new PutRecordCommand({
        StreamName: "orders",
        PartitionKey: `key-${n}`,
        Data: Buffer.from(JSON.stringify({ n })),
      }),
    );
}

const sorted = (runs: Array<{ inputs: Record<string, unknown> }>) =>
  runs.map((r) => Number(r.inputs.n)).sort((a, b) => a - b);

describe("on.kinesis against kinesalite", () => {
  it("follows every shard and stores each shard's checkpoint with its runs", async () => {
    await put([1, 2, 3, 4, 5, 6]);
    await f.listeners();
    await f.waitForState(ID, "connected");
    const runs = await f.waitForRuns("events", 6);
    expect(sorted(runs)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(new Set(runs.map((r) => r.trigger.shard)).size).toBe(2);
    expect(runs[0]?.trigger).toMatchObject({
      type: "kinesis",
      stream: "orders",
      partition_key: expect.any(String),
    });
    const checkpoints = await f.checkpoints(ID);
    const shards = [...checkpoints.keys()].filter((k) => k.startsWith("shard:"));
    expect(shards).toHaveLength(2);
  });

  it("resumes after a restart from the checkpoints: records put while down start runs, none twice", async () => {
    await f.stopAll();
    await put([7, 8, 9]);
    await f.listeners();
    const runs = await f.waitForRuns("events", 9);
    expect(sorted(runs)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    await put([10]);
    expect(sorted(await f.waitForRuns("events", 10))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it("handles resharding: the parents are read to their end, then the child from its start", async () => {
    const before = await client.send(new ListShardsCommand({ StreamName: "orders" }));
    const [a, b] = (before.Shards ?? []).map((s) => s.ShardId as string);
    await f.listeners();
    await f.waitForState(ID, "connected");
    await client.send(
      new MergeShardsCommand({ StreamName: "orders", ShardToMerge: a, AdjacentShardToMerge: b }),
    );
    await put([11, 12, 13]);
    const runs = await f.waitForRuns("events", 13, 15_000);
    expect(sorted(runs)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
    const checkpoints = await waitFor(async () => {
      const c = await f.checkpoints(ID);
      return c.get(`shard:${a}`) === "SHARD_END" && c.get(`shard:${b}`) === "SHARD_END" ? c : undefined;
    });
    const child = [...checkpoints.keys()].find(
      (k) => k.startsWith("shard:") && k !== `shard:${a}` && k !== `shard:${b}`,
    );
    expect(child).toBeDefined();
    expect(runs.slice(10).every((r) => `shard:${r.trigger.shard}` === child)).toBe(true);
    expect((await f.status(ID)).events).toBe(13);
  });

  it("from: latest (the default) starts at the trigger's declaration, and keeps that start across restarts", async () => {
    await client.send(new CreateStreamCommand({ StreamName: "fresh", ShardCount: 1 }));
    const putFresh = (n: number) =>
      client.send(
        new PutRecordCommand({
          StreamName: "fresh",
          PartitionKey: "k",
          Data: Buffer.from(JSON.stringify({ n })),
        }),
      );
    await putFresh(1);
    await f.register({
      "latest.yaml": `name: latest
inputs: {n: {type: integer, required: true}}
on:
  kinesis: {stream: fresh, region: us-east-1, endpoint: "${endpoint}", inputs: {n: "\${{ trigger.payload.n }}"}}
steps:
  a: {run: "true"}
`,
    });
    const set = await f.listeners();
    await f.waitForState("latest:kinesis:0", "connected");
    await set.stop();
    // Put while no listener runs, before any record was read: not skipped (the start time is stored).
    await putFresh(2);
    await f.listeners();
    await putFresh(3);
    const runs = await f.waitForRuns("latest", 2);
    expect(sorted(runs)).toEqual([2, 3]);
  });
});
