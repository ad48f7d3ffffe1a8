import type { KinesisClient, Shard } from "@aws-sdk/client-kinesis";
import { decodePayload } from "@gantry/core";
import type { EventSource, SourceContext } from "../event-source.js";

/** GetRecords allows 5 calls a second per shard; an idle shard is read once a second. */
const IDLE_POLL_MS = 1_000;
/** How often the shard list is read again to find the children of a reshard. */
const DISCOVER_MS = 10_000;
const RECORDS_PER_CALL = 1_000;
const SHARD_END = "SHARD_END";
const AT_TIMESTAMP_WAIT_MS = 3_000;

/**
 * `on.kinesis`: follows every shard of a stream. Each record starts a run; the shard's sequence number
 * is its checkpoint, stored with the run in one transaction, and `<shard>:<sequence>` is the event key,
 * so a restart resumes after the last recorded record (AFTER_SEQUENCE_NUMBER) and never starts one twice.
 * Resharding: a closed shard is read to its end (checkpoint SHARD_END) before its children are started
 * (from TRIM_HORIZON), so a partition key's records stay in order; the shard list is read again every
 * 10 s. Without a checkpoint, `from: latest` (the default) means "from when the trigger first started":
 * that time is stored, so records put while Gantry was first starting are not skipped (AT_TIMESTAMP).
 */
export async function startKinesis(context: SourceContext): Promise<EventSource> {
  const sdk = await import("@aws-sdk/client-kinesis");
  const { NodeHttpHandler } = await import("@smithy/node-http-handler");
  const { config } = context;
  const stream = String(config.stream);
  const client: KinesisClient = new sdk.KinesisClient({
    region: String(config.region),
    ...(typeof config.endpoint === "string" && config.endpoint !== "" ? { endpoint: config.endpoint } : {}),
    // HTTP/1.1: the SDK's default HTTP/2 handler is not spoken by every Kinesis-compatible server (kinesalite).
    requestHandler: new NodeHttpHandler({ connectionTimeout: 10_000, requestTimeout: 30_000 }),
    maxAttempts: 3,
  });
  const fromLatest = config.from !== "trim_horizon";
  const checkpoints = await context.checkpoints();
  let startedAt = Number(checkpoints.get("started_at"));
  if (!Number.isFinite(startedAt) || startedAt <= 0) {
    startedAt = context.service.now();
    await context.saveCheckpoints({ started_at: String(startedAt) });
  }
  const finished = new Set([...checkpoints].filter(([, v]) => v === SHARD_END).map(([k]) => k.slice(6)));
  const running = new Map<string, Promise<void>>();
  let closing = false;
  // Idle waits, ended early by stop().
  const sleepers = new Map<NodeJS.Timeout, () => void>();
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        sleepers.delete(t);
        resolve();
      }, ms);
      sleepers.set(t, resolve);
    });
  const fail = (error: Error) => {
    if (!closing) context.lost(error);
  };

  async function listShards(): Promise<Shard[]> {
    const shards: Shard[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(
        new sdk.ListShardsCommand(token ? { NextToken: token } : { StreamName: stream }),
      );
      shards.push(...(page.Shards ?? []));
      token = page.NextToken;
    } while (token);
    return shards;
  }

  async function iteratorFor(shard: Shard, known: Set<string>): Promise<string | undefined> {
    const id = shard.ShardId as string;
    const sequence = (await context.checkpoints()).get(`shard:${id}`);
    const parents = [shard.ParentShardId, shard.AdjacentParentShardId].filter((p): p is string => !!p);
    const base = { StreamName: stream, ShardId: id };
    let request: ConstructorParameters<typeof sdk.GetShardIteratorCommand>[0];
    if (sequence)
      request = { ...base, ShardIteratorType: "AFTER_SEQUENCE_NUMBER", StartingSequenceNumber: sequence };
    else if (!fromLatest || parents.some((p) => known.has(p) || finished.has(p)))
      request = { ...base, ShardIteratorType: "TRIM_HORIZON" };
    else {
      // kinesalite never answers AT_TIMESTAMP when no record arrived since that time (AWS does); no such
      // record means LATEST is the same position, so a request unanswered after 3 s falls back to it.
      const atTime = { ...base, ShardIteratorType: "AT_TIMESTAMP" as const, Timestamp: new Date(startedAt) };
      try {
        return (
          await client.send(new sdk.GetShardIteratorCommand(atTime), {
            abortSignal: AbortSignal.timeout(AT_TIMESTAMP_WAIT_MS),
          })
        ).ShardIterator;
      } catch (error) {
        if ((error as Error).name !== "AbortError" && (error as Error).name !== "TimeoutError") throw error;
        request = { ...base, ShardIteratorType: "LATEST" };
      }
    }
    return (await client.send(new sdk.GetShardIteratorCommand(request))).ShardIterator;
  }

  async function read(shard: Shard, known: Set<string>): Promise<void> {
    const id = shard.ShardId as string;
    let iterator = await iteratorFor(shard, known);
    while (iterator && !closing) {
      const page = await client.send(
        new sdk.GetRecordsCommand({ ShardIterator: iterator, Limit: RECORDS_PER_CALL }),
      );
      for (const record of page.Records ?? []) {
        if (closing) return;
        const sequence = record.SequenceNumber as string;
        const delivery = await context.deliver({
          payload: decodePayload(Buffer.from(record.Data ?? new Uint8Array()).toString("utf8")),
          meta: {
            stream,
            shard: id,
            sequence_number: sequence,
            partition_key: record.PartitionKey ?? null,
            arrived_at: record.ApproximateArrivalTimestamp?.toISOString() ?? null,
          },
          key: `${id}:${sequence}`,
          checkpoint: { [`shard:${id}`]: sequence },
        });
        if (delivery.status === "failed")
          context.warn(
            new Error(`stream '${stream}' shard ${id}: a record could not start a run: ${delivery.error}`),
          );
      }
      iterator = page.NextShardIterator;
      if (!iterator) {
        // The shard was closed (resharded) and read to its end: its children may start.
        await context.saveCheckpoints({ [`shard:${id}`]: SHARD_END });
        finished.add(id);
        wake();
        return;
      }
      if ((page.Records ?? []).length === 0) await sleep(IDLE_POLL_MS);
    }
  }

  let discovering: Promise<void> | undefined;
  let wakeAgain = false;
  function wake(): void {
    if (closing) return;
    if (discovering) {
      wakeAgain = true;
      return;
    }
    discovering = discover()
      .catch(fail)
      .finally(() => {
        discovering = undefined;
        if (wakeAgain) {
          wakeAgain = false;
          wake();
        }
      });
  }

  async function discover(): Promise<void> {
    const shards = await listShards();
    const known = new Set(shards.map((s) => s.ShardId as string));
    for (const shard of shards) {
      const id = shard.ShardId as string;
      if (finished.has(id) || running.has(id)) continue;
      // A child waits until its parents were read to their end (or are gone from the stream).
      const parents = [shard.ParentShardId, shard.AdjacentParentShardId].filter((p): p is string => !!p);
      if (parents.some((p) => known.has(p) && !finished.has(p))) continue;
      running.set(
        id,
        read(shard, known)
          .catch(fail)
          .finally(() => running.delete(id)),
      );
    }
  }

  // The first listing doubles as the connection check: a wrong stream or endpoint fails the start.
  await client.send(new sdk.DescribeStreamSummaryCommand({ StreamName: stream }));
  wake();
  await discovering;
  const rediscover = setInterval(wake, DISCOVER_MS);
  return {
    async stop() {
      closing = true;
      clearInterval(rediscover);
      for (const [t, resolve] of sleepers) {
        clearTimeout(t);
        resolve();
      }
      sleepers.clear();
      await discovering;
      await Promise.all([...running.values()]);
      client.destroy();
    },
  };
}
