import path from "node:path";
import { afterAll, afterEach, beforeAll } from "vitest";
import type { ServiceContext } from "../service/context.js";
import { registerFolder } from "../service/register-folder.js";
import type { Database } from "../store/database.js";
import { getTriggerCheckpoints } from "../store/queries/trigger-checkpoints.js";
import { type Harness, openHarness } from "../testing/service-harness.js";
import { waitFor } from "../testing/wait-for.js";
import type { ListenerEvent } from "./listener.js";
import { TriggerListeners, type TriggerListenersOptions } from "./listeners.js";
import { listTriggerStatus, type TriggerStatus } from "./status.js";

/** Fast timings for tests: a lost lease is taken over within 2 s, a lost broker retried from 100 ms. */
export const FAST_TRIGGERS = {
  leaseMs: 2_000,
  backoffMs: 100,
  maxBackoffMs: 1_000,
  checkMs: 60_000,
} as const;

export interface RunView {
  id: string;
  status: string;
  inputs: Record<string, unknown>;
  trigger: Record<string, unknown> & { payload?: unknown };
}

/**
 * What the trigger tests share: a harness on a fresh database, workflows registered per test, and
 * listener sets (each a "server") that are all stopped after each test, so none is left consuming.
 */
export function triggerFixture(open: () => Promise<Database>) {
  const f = {
    h: undefined as unknown as Harness,
    get ctx(): ServiceContext {
      return f.h.ctx;
    },
    events: [] as ListenerEvent[],
    sets: [] as TriggerListeners[],
    count: 0,
    async register(files: Record<string, string>): Promise<string[]> {
      const dir = `wf-${f.count++}`;
      for (const [name, text] of Object.entries(files)) f.h.tmp.write(`${dir}/${name}`, text);
      const result = await registerFolder(f.ctx, path.join(f.h.tmp.dir, dir));
      if (result.problems.length > 0) throw new Error(JSON.stringify(result.problems));
      return result.registered;
    },
    /** A started listener set ("a server"), with its own context when given one. */
    async listeners(
      options: Partial<TriggerListenersOptions> = {},
      ctx?: ServiceContext,
    ): Promise<TriggerListeners> {
      const set = new TriggerListeners(ctx ?? f.ctx, {
        ...FAST_TRIGGERS,
        ...options,
        onEvent: (event) => f.events.push(event),
      });
      f.sets.push(set);
      await set.start();
      return set;
    },
    async runs(workflow: string): Promise<RunView[]> {
      const rows = await f.h.database.db
        .selectFrom("runs")
        .selectAll()
        .where("workflow", "=", workflow)
        .orderBy("created_at")
        .execute();
      return rows.map((r) => ({
        id: r.id,
        status: r.status,
        inputs: JSON.parse(r.inputs_json) as Record<string, unknown>,
        trigger: JSON.parse(r.trigger_json) as RunView["trigger"],
      }));
    },
    async waitForRuns(workflow: string, count: number, timeoutMs = 15_000): Promise<RunView[]> {
      return waitFor(
        async () => {
          const runs = await f.runs(workflow);
          return runs.length >= count ? runs : undefined;
        },
        { timeoutMs, what: `${count} runs of ${workflow}` },
      );
    },
    async status(id: string): Promise<TriggerStatus> {
      const found = (await listTriggerStatus(f.ctx)).find((s) => s.id === id);
      if (!found) throw new Error(`no trigger ${id}`);
      return found;
    },
    async waitForState(
      id: string,
      state: TriggerStatus["state"],
      timeoutMs = 15_000,
    ): Promise<TriggerStatus> {
      return waitFor(
        async () => {
          const s = await f.status(id);
          return s.state === state ? s : undefined;
        },
        { timeoutMs, what: `trigger ${id} to be ${state}` },
      );
    },
    checkpoints: (id: string): Promise<Map<string, string>> => getTriggerCheckpoints(f.h.database.db, id),
    async stopAll(): Promise<void> {
      await Promise.all(f.sets.splice(0).map((s) => s.stop()));
    },
  };
  beforeAll(async () => {
    f.h = await openHarness(await open());
  });
  afterEach(async () => {
    await f.stopAll();
    await f.h.stopWorkers();
    f.events.length = 0;
  });
  afterAll(async () => {
    await f.h?.close();
  });
  return f;
}
