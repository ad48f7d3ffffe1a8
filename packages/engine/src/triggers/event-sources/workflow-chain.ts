import { decodeRunOutputs, decodeRunTrigger } from "../../store/decode/index.js";
import { finishedRunsSince } from "../../store/queries/trigger-finished-runs.js";
import type { EventSource, SourceContext } from "../event-source.js";

/** How often the runs table is read for newly finished runs (one indexed query a second per chain). */
export const CHAIN_POLL_MS = 1_000;
/** A chain that starts itself (A → A, or A → B → A) stops after this many links. */
export const MAX_CHAIN_DEPTH = 10;
const PAGE = 200;

const RESULTS: Record<string, string> = {
  succeeded: "success",
  failed: "failure",
  timed_out: "failure",
  cancelled: "cancelled",
};

/**
 * `on.workflow`: starts a run when a run of another workflow finishes with one of `result` (default
 * success and failure), with that run's outputs as `trigger.payload`. Reads the runs table (runs that
 * finished since its checkpoint) rather than hooking the worker's completion, so a chain is not lost
 * when the server that would have started it is down: the next leader resumes from the checkpoint. The
 * finished run's id is the event key: one run per finished run, however often it is read.
 */
export async function startWorkflowChain(context: SourceContext): Promise<EventSource> {
  const upstream = String(context.config.name);
  const results = new Set(
    Array.isArray(context.config.result) ? (context.config.result as string[]) : ["success", "failure"],
  );
  const { db } = context.service.database;
  // Tests shorten the poll; the workflow schema does not offer this key.
  const pollMs = typeof context.config.poll_ms === "number" ? context.config.poll_ms : CHAIN_POLL_MS;
  let since = Number((await context.checkpoints()).get("finished_at"));
  if (!Number.isFinite(since) || since <= 0) {
    since = context.service.now();
    await context.saveCheckpoints({ finished_at: String(since) });
  }
  /** Runs already handled that finished exactly at `since` (the query includes that millisecond). */
  let seenAtSince = new Set<string>();
  let closing = false;
  let timer: NodeJS.Timeout | undefined;
  let polling: Promise<void> = Promise.resolve();

  const poll = async () => {
    const rows = await finishedRunsSince(db, upstream, since, PAGE);
    for (const row of rows) {
      if (closing) return;
      const finishedAt = Number(row.finished_at);
      if (finishedAt === since && seenAtSince.has(row.id)) continue;
      const result = RESULTS[row.status] ?? row.status;
      const upstreamTrigger = decodeRunTrigger(row);
      const depth = upstreamTrigger.type === "workflow" ? Number(upstreamTrigger.depth ?? 1) + 1 : 1;
      const checkpoint = { finished_at: String(finishedAt) };
      if (!results.has(result)) await context.saveCheckpoints(checkpoint);
      else if (depth > MAX_CHAIN_DEPTH)
        context.warn(
          new Error(
            `run ${row.id} of '${upstream}' is link ${depth} of a chain: more than ${MAX_CHAIN_DEPTH}, not started`,
          ),
        );
      else {
        const delivery = await context.deliver({
          payload: decodeRunOutputs(row) ?? {},
          meta: {
            workflow: upstream,
            run_id: row.id,
            result,
            status: row.status,
            attempt: row.attempt,
            depth,
          },
          key: `run:${row.id}`,
          checkpoint,
        });
        if (delivery.status === "failed")
          context.warn(new Error(`run ${row.id} of '${upstream}' could not start a run: ${delivery.error}`));
      }
      if (finishedAt > since) {
        since = finishedAt;
        seenAtSince = new Set();
      }
      seenAtSince.add(row.id);
    }
  };
  const loop = () => {
    if (closing) return;
    polling = poll()
      .catch((error: Error) => {
        if (!closing) context.lost(error);
        closing = true;
      })
      .finally(() => {
        if (!closing) timer = setTimeout(loop, pollMs);
      });
  };
  loop();
  await polling;
  return {
    async stop() {
      closing = true;
      if (timer) clearTimeout(timer);
      await polling;
    },
  };
}
