import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Readable } from "node:stream";
import {
  type ByteRange,
  LOG_BATCH_LINES,
  LocalLogArchive,
  LocalNotifier,
  type LogArchiveLike,
  LogArchiver,
  type LogLine,
  migrate,
  type NotifierLike,
  openDatabase,
  processState,
  SecretBox,
  type ServiceContext,
  store,
  TaskLogWriter,
} from "@gantry/engine";
import {
  BinaryOperationNode,
  type KyselyPlugin,
  PrimitiveValueListNode,
  SelectQueryNode,
  TableNode,
} from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { insertTestRun } from "../../../engine/src/testing/log-fixtures.js";
import { waitFor } from "../../../engine/src/testing/wait-for.js";
import { type Follower, LogTails } from "./tails.js";

/** An archive whose reads can be held, to make a follower arrive while a read is in flight. */
class GatedArchive implements LogArchiveLike {
  gets = 0;
  /** How many of the next reads fail. */
  failures = 0;
  private held: { entered: () => void; release: Promise<void> } | undefined;

  constructor(private readonly inner: LogArchiveLike) {}

  /** Holds the next read; resolves `entered` once a read waits, and lets it go on `release()`. */
  hold(): { entered: Promise<void>; release: () => void } {
    let release!: () => void;
    let entered!: () => void;
    const enteredPromise = new Promise<void>((resolve) => {
      entered = resolve;
    });
    this.held = { entered, release: new Promise<void>((resolve) => (release = resolve)) };
    return { entered: enteredPromise, release };
  }

  async open(key: string, range?: ByteRange): Promise<Readable | undefined> {
    await this.gate();
    return this.inner.open(key, range);
  }

  async get(key: string): Promise<string | undefined> {
    await this.gate();
    return this.inner.get(key);
  }

  private async gate(): Promise<void> {
    this.gets++;
    if (this.failures > 0) {
      this.failures--;
      throw new Error("archive unreachable");
    }
    const held = this.held;
    if (held) {
      this.held = undefined;
      held.entered();
      await held.release;
    }
  }

  put(key: string, body: string): Promise<void> {
    return this.inner.put(key, body);
  }

  putFile(key: string, file: string, bytes: number): Promise<void> {
    return this.inner.putFile(key, file, bytes);
  }

  delete(keys: string[]): Promise<void> {
    return this.inner.delete(keys);
  }
}

interface Collected {
  lines: LogLine[];
  ended: Promise<void>;
  stop: () => void;
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

describe("LogTails", () => {
  let dir: string;
  let service: ServiceContext;
  let archive: GatedArchive;
  let tails: LogTails;

  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "gantry-tails-"));
    const database = await openDatabase(path.join(dir, "gantry.db"));
    await migrate(database);
    service = {
      database,
      notifier: new LocalNotifier(),
      box: SecretBox.fromConfig(undefined, dir),
      now: () => Date.now(),
      ...processState(),
    };
    archive = new GatedArchive(new LocalLogArchive(path.join(dir, "logs")));
    tails = new LogTails(service, archive);
  });

  afterEach(async () => {
    tails.close();
    await service.notifier.close();
    await service.database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const insertRun = () => insertTestRun(service);

  async function writeLines(
    ctx: ServiceContext,
    runId: string,
    step: string,
    texts: string[],
  ): Promise<void> {
    const writer = new TaskLogWriter(ctx, { run_id: runId, step, item_index: 0, attempt: 1 });
    for (const text of texts) writer.line("stdout", text);
    await writer.close();
  }

  /** Moves a step's log to the archive, as the worker does when the step ends. */
  function archiveStep(runId: string, step: string): Promise<void> {
    return new LogArchiver(service, archive, path.join(dir, "spool")).archiveTask({
      run_id: runId,
      step,
      item_index: 0,
      attempt: 1,
    });
  }

  const finishRun = (runId: string) =>
    store.updateRun(service.database.db, runId, { status: "succeeded", finished_at: Date.now() });

  function collect(runId: string, after = -1, step?: string): Collected {
    const lines: LogLine[] = [];
    let ended!: () => void;
    const endedPromise = new Promise<void>((resolve) => {
      ended = resolve;
    });
    const follower: Follower = {
      after,
      ...(step !== undefined ? { step } : {}),
      send: (batch) => lines.push(...batch),
      end: () => ended(),
    };
    return { lines, ended: endedPromise, stop: tails.follow(runId, follower) };
  }

  it("gives a follower that joins during another's read the whole log", async () => {
    const runId = await insertRun();
    await writeLines(service, runId, "a", ["a0", "a1", "a2", "a3", "a4"]);
    await archiveStep(runId, "a");
    await writeLines(service, runId, "b", ["b5", "b6"]);
    await finishRun(runId);

    // The first follower's read waits in the archive while the second one, from the start, joins.
    const held = archive.hold();
    const ahead = collect(runId, 2);
    await within(held.entered, 5000, "the first read to reach the archive");
    const behind = collect(runId);
    held.release();
    await within(Promise.all([ahead.ended, behind.ended]), 5000, "both followers to be ended");

    expect(ahead.lines.map((l) => l.text)).toEqual(["a3", "a4", "b5", "b6"]);
    expect(behind.lines.map((l) => l.offset)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(behind.lines.map((l) => l.text)).toEqual(["a0", "a1", "a2", "a3", "a4", "b5", "b6"]);
  });

  it("does not end a finished run's followers after a failed read, and serves them on the next poll", async () => {
    const runId = await insertRun();
    await writeLines(service, runId, "a", ["kept", "whole"]);
    await archiveStep(runId, "a");
    await finishRun(runId);
    archive.failures = 1;
    const follower = collect(runId);
    await within(follower.ended, 5000, "the follower to be ended");
    expect(archive.failures).toBe(0);
    expect(follower.lines.map((l) => l.text)).toEqual(["kept", "whole"]);
  });

  it("serves many followers of one run from a shared read", async () => {
    const runId = await insertRun();
    await writeLines(service, runId, "a", ["one", "two"]);
    await archiveStep(runId, "a");
    await finishRun(runId);
    const followers = Array.from({ length: 20 }, () => collect(runId));
    await within(Promise.all(followers.map((f) => f.ended)), 5000, "every follower to be ended");
    for (const f of followers) expect(f.lines.map((l) => l.text)).toEqual(["one", "two"]);
    // One read for the first follower, one more for everyone who joined meanwhile: not one each.
    expect(archive.gets).toBeLessThanOrEqual(3);
  });

  it("hands followers level with the read the same batch, so it is serialised once", async () => {
    const runId = await insertRun();
    await writeLines(
      service,
      runId,
      "a",
      Array.from({ length: 5000 }, (_, i) => `line ${i}`),
    );
    await finishRun(runId);
    const batches = new Set<LogLine[]>();
    let sends = 0;
    const followers = Array.from({ length: 10 }, () => {
      const lines: LogLine[] = [];
      let ended!: () => void;
      const done = new Promise<void>((resolve) => {
        ended = resolve;
      });
      const follower: Follower = {
        after: -1,
        send: (batch) => {
          sends++;
          batches.add(batch);
          lines.push(...batch);
        },
        end: () => ended(),
      };
      return { lines, done, follower };
    });
    // All join before the first read starts (it starts on the next tick).
    for (const f of followers) tails.follow(runId, f.follower);
    await within(Promise.all(followers.map((f) => f.done)), 5000, "every follower to be ended");
    for (const f of followers)
      expect(f.lines.map((l) => l.offset)).toEqual(Array.from({ length: 5000 }, (_, i) => i));
    expect(batches.size).toBeLessThan(sends / 5);
  });

  it("followers joining behind the shared read catch up on whole batches read and handed out once for all", async () => {
    const runId = await insertRun();
    const total = 5 * LOG_BATCH_LINES;
    await writeLines(
      service,
      runId,
      "a",
      Array.from({ length: total }, (_, i) => `line ${i}`),
    );
    await archiveStep(runId, "a");
    await finishRun(runId);

    // The first follower holds the shared read after its fourth batch, so the others join behind it.
    let readies = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const held = collect(runId);
    const first: Follower = {
      after: -1,
      send: () => {},
      end: () => {},
      ready: () => (++readies === 4 ? gate : Promise.resolve()),
    };
    const stopFirst = tails.follow(runId, first);
    await waitFor(() => readies >= 4, { what: "the shared read to reach its fourth batch", intervalMs: 5 });
    const readsBefore = archive.gets;

    const arrays = new Map<number, Set<LogLine[]>>();
    const late = Array.from({ length: 20 }, () => {
      const lines: LogLine[] = [];
      let ended!: () => void;
      const done = new Promise<void>((resolve) => (ended = resolve));
      const follower: Follower = {
        after: -1,
        send: (batch) => {
          const index = Math.floor((batch[0]?.offset ?? 0) / LOG_BATCH_LINES);
          if (batch.length === LOG_BATCH_LINES)
            arrays.set(index, (arrays.get(index) ?? new Set()).add(batch));
          lines.push(...batch);
        },
        end: () => ended(),
      };
      tails.follow(runId, follower);
      return { lines, done };
    });
    // The late ones catch up to the held read's position, then wait with it as live followers.
    await waitFor(() => late.every((f) => f.lines.length === 4 * LOG_BATCH_LINES), {
      what: "the late followers to catch up on four batches",
      intervalMs: 5,
    });
    release();
    await within(Promise.all([...late.map((f) => f.done), held.ended]), 10_000, "every follower to be ended");
    stopFirst();

    const offsets = Array.from({ length: total }, (_, i) => i);
    for (const f of [...late, held]) expect(f.lines.map((l) => l.offset)).toEqual(offsets);
    // Each of the four whole batches caught up on is one array for all 20 (one read, one encoding) ...
    for (let batch = 0; batch < 4; batch++) expect(arrays.get(batch)?.size).toBe(1);
    // ... from one read of the archive for all of them, not one each.
    expect(archive.gets - readsBefore).toBeLessThanOrEqual(2);
  });

  it("polls every followed run in one statement and reads a run's log only when it has new lines", async () => {
    // What each SELECT reads: its table, and how many ids an `id in (…)` condition names.
    const selects: Array<{ table: string; ids: number }> = [];
    const recorder: KyselyPlugin = {
      transformQuery({ node }) {
        if (SelectQueryNode.is(node)) {
          const from = node.from?.froms[0];
          const table = from && TableNode.is(from) ? from.table.identifier.name : "?";
          const right =
            node.where && BinaryOperationNode.is(node.where.where)
              ? node.where.where.rightOperand
              : undefined;
          selects.push({ table, ids: right && PrimitiveValueListNode.is(right) ? right.values.length : 1 });
        }
        return node;
      },
      transformResult: async ({ result }) => result,
    };
    const counted: ServiceContext = {
      ...service,
      database: { ...service.database, db: service.database.db.withPlugin(recorder) },
    };
    const quietTails = new LogTails(counted, archive);
    try {
      const runs = await Promise.all(Array.from({ length: 20 }, () => insertRun()));
      const followers = runs.map((runId) => {
        const lines: LogLine[] = [];
        quietTails.follow(runId, { after: -1, send: (batch) => lines.push(...batch), end: () => {} });
        return lines;
      });
      await Promise.all(runs.map((runId) => writeLines(counted, runId, "a", ["one line"])));
      await waitFor(() => followers.every((lines) => lines.length === 1), { what: "every follower's line" });

      // Nothing new from here on: two polls, each one statement for all 20 runs, and no log read.
      selects.length = 0;
      await waitFor(() => selects.filter((s) => s.table === "runs" && s.ids === 20).length >= 2, {
        what: "two polls of the followed runs",
      });
      expect(selects.filter((s) => s.table !== "runs")).toEqual([]);
      expect(selects.filter((s) => s.ids !== 20)).toEqual([]);
      expect(followers.map((lines) => lines.map((l) => l.text))).toEqual(runs.map(() => ["one line"]));
    } finally {
      quietTails.close();
    }
  });

  it("reads announced lines with one read of chunks and none of the run's status, and leaves the run's end to the poll", async () => {
    // Statements executed (a subquery is transformed too, but has no result of its own).
    const statusReads: number[] = [];
    const chunkReads: number[] = [];
    const kinds = new Map<unknown, "status" | "chunks">();
    const recorder: KyselyPlugin = {
      transformQuery({ node, queryId }) {
        if (SelectQueryNode.is(node)) {
          const from = node.from?.froms[0];
          const table = from && TableNode.is(from) ? from.table.identifier.name : "?";
          const right =
            node.where && BinaryOperationNode.is(node.where.where)
              ? node.where.where.rightOperand
              : undefined;
          if (table === "log_chunks") kinds.set(queryId, "chunks");
          // A read of one run's status; the poll names both followed runs.
          if (table === "runs" && !(right && PrimitiveValueListNode.is(right) && right.values.length > 1))
            kinds.set(queryId, "status");
        }
        return node;
      },
      transformResult: async ({ result, queryId }) => {
        const kind = kinds.get(queryId);
        if (kind === "status") statusReads.push(1);
        if (kind === "chunks") chunkReads.push(1);
        return result;
      },
    };
    const counted: ServiceContext = {
      ...service,
      database: { ...service.database, db: service.database.db.withPlugin(recorder) },
    };
    const countedTails = new LogTails(counted, archive);
    try {
      const [runId, other] = await Promise.all([insertRun(), insertRun()]);
      const lines: LogLine[] = [];
      let ended!: () => void;
      const end = new Promise<void>((resolve) => {
        ended = resolve;
      });
      countedTails.follow(runId, { after: -1, send: (batch) => lines.push(...batch), end: () => ended() });
      countedTails.follow(other as string, { after: -1, send: () => {}, end: () => {} });
      // Each follower's first read looks at its run's status.
      await waitFor(() => statusReads.length >= 2, { what: "the followers' first reads", intervalMs: 10 });
      statusReads.length = 0;
      chunkReads.length = 0;
      for (let i = 0; i < 5; i++) {
        await writeLines(service, runId as string, "a", [`line ${i}`]);
        await waitFor(() => lines.length === i + 1, { what: `announced line ${i}`, intervalMs: 5 });
      }
      // Five announcements, five reads of lines, and no read of the status (a poll that happens to look
      // between a store and its announcement's read asks for it once).
      expect(statusReads.length).toBeLessThanOrEqual(1);
      // One statement of chunks each: a short page is the last, and it finds its first chunk itself.
      expect(chunkReads.length).toBeLessThanOrEqual(6);
      await finishRun(runId as string);
      await within(end, 5000, "the poll to end the follower of the finished run");
      expect(lines.map((l) => l.text)).toEqual([0, 1, 2, 3, 4].map((i) => `line ${i}`));
    } finally {
      countedTails.close();
    }
  });

  it("follows live lines announced on the notifier, and finds unannounced ones by polling", async () => {
    const runId = await insertRun();
    const live = collect(runId, -1, "a");
    await writeLines(service, runId, "a", ["announced"]);
    await waitFor(() => live.lines.length >= 1, { what: "the announced line", intervalMs: 10 });
    expect(live.lines.map((l) => l.text)).toEqual(["announced"]);

    // A lost notification: only the fallback poll (every second) can deliver this line.
    const silent: NotifierLike = { notify: async () => {}, subscribe: () => () => {}, close: async () => {} };
    await writeLines({ ...service, notifier: silent }, runId, "a", ["unannounced"]);
    await writeLines({ ...service, notifier: silent }, runId, "other", ["not for this follower"]);
    await waitFor(() => live.lines.length >= 2, {
      what: "the poll to find the unannounced line",
      intervalMs: 10,
    });
    expect(live.lines.map((l) => l.text)).toEqual(["announced", "unannounced"]);

    await store.updateRun(service.database.db, runId, { status: "failed", finished_at: Date.now() });
    await service.notifier.notify("logs", runId);
    await within(live.ended, 5000, "the follower to be ended when the run ends");
    expect(live.lines.map((l) => l.text)).toEqual(["announced", "unannounced"]);
  });
});
