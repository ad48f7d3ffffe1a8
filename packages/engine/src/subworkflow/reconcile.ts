import { runDeadline } from "@gantry/core";
import type { ServiceContext } from "../service/context.js";
import { TERMINAL_RUN_STATUSES } from "../service/run-record.js";
import { finishTask, type Job } from "../service/tasks.js";
import { withUnitOfWork } from "../service/unit-of-work.js";
import { decodeRunTrigger } from "../store/decode/index.js";
import { activeChildRuns, childRunsOf, subWorkflowsPending } from "../store/queries/child-runs.js";
import { getRun } from "../store/queries/get-run.js";
import { waitingJobs } from "../store/queries/waiting-jobs.js";
import { cancelRunTree } from "./cancel-tree.js";
import { completeParent, hasEnded, parentJob, type WorkflowCallTrigger } from "./child-run.js";

/** What one sweep did, for the log and the tests. */
export interface SubWorkflowSweep {
  /** Parent steps finished because their child ended (or is gone) without finishing them. */
  settled: number;
  /** Children cancelled because their parent ended, was cancelled or deleted. */
  orphaned: number;
  /** Children stopped at their deadline, their parent step timed out. */
  timedOut: number;
}

/**
 * Makes parents and children agree, whatever way a run ended. Most ends finish the parent's step at
 * once (a child's last step, a cancel through the API); this sweep, on the reaper's beat, covers every
 * other one: a child cancelled while queued by a concurrency group, reaped after its lease, ended as
 * it started when its group freed, decided by an approval's timeout, deleted; a parent cancelled by a
 * concurrency group or deleted; a parent step's `timeout` (or the parent run's own deadline) running
 * out while its child runs. Safe on every server at once: each change is fenced by finishTask's job
 * delete and the cancel's run lock, so a second sweep finds nothing left to do.
 */
export async function reconcileSubWorkflows(ctx: ServiceContext): Promise<SubWorkflowSweep> {
  const sweep: SubWorkflowSweep = { settled: 0, orphaned: 0, timedOut: 0 };
  const db = ctx.database.db;
  const pending = await subWorkflowsPending(db);
  for (const job of pending.waiting ? await waitingJobs(db) : []) {
    const children = await childRunsOf(db, job.run_id);
    const child = children.find((c) => calledBy(decodeRunTrigger(c) as Partial<WorkflowCallTrigger>, job));
    if (!child) {
      const outcome = {
        status: "failed" as const,
        exitCode: null,
        error: `sub-workflow run of step '${job.step}' is gone: it was deleted before it ended`,
        retryable: false,
        finishedAt: ctx.now(),
      };
      await withUnitOfWork(ctx, (tx) => finishTask(ctx, tx, job, outcome, null));
      await completeParent(ctx, job.run_id);
      sweep.settled++;
    } else if (hasEnded(child.status)) {
      await completeParent(ctx, child.id);
      sweep.settled++;
    }
  }
  const now = ctx.now();
  // Shallowest first: a parent step times out with its own reason before its grandchildren do.
  const active = (pending.children ? await activeChildRuns(db) : []).map((row) => ({
    row,
    trigger: decodeRunTrigger(row) as Partial<WorkflowCallTrigger>,
  }));
  active.sort((a, b) => Number(a.trigger.depth ?? 0) - Number(b.trigger.depth ?? 0));
  for (const { row, trigger } of active) {
    const current = await getRun(db, row.id);
    if (!current || hasEnded(current.status)) continue;
    const parent = trigger.parent_run ? await getRun(db, trigger.parent_run) : undefined;
    const deadline = runDeadline({ trigger: trigger as WorkflowCallTrigger });
    if (!parent) {
      await cancelRunTree(ctx, row.id, `its parent run ${trigger.parent_run} was deleted`);
      sweep.orphaned++;
    } else if ((TERMINAL_RUN_STATUSES as readonly string[]).includes(parent.status)) {
      await cancelRunTree(ctx, row.id, `its parent run ${parent.id} ended (${parent.status})`);
      sweep.orphaned++;
    } else if (parent.cancel_requested && !trigger.cleanup) {
      await cancelRunTree(ctx, row.id, `its parent run ${parent.id} was cancelled`);
      sweep.orphaned++;
    } else if (deadline && deadline.at <= now) {
      await timeOut(ctx, row.id, trigger, deadline.reason);
      sweep.timedOut++;
    }
  }
  return sweep;
}

/** Does this child's trigger name this waiting job (the same step, item and attempt of its parent)? */
function calledBy(trigger: Partial<WorkflowCallTrigger>, job: Job): boolean {
  return (
    trigger.type === "workflow_call" &&
    trigger.parent_step === job.step &&
    trigger.parent_index === job.item_index &&
    trigger.parent_attempt === job.attempt
  );
}

/**
 * A child past its deadline: its parent's step times out (naming the child and the timeout), then the
 * child and its own children are cancelled, saying so. The parent run may end with that step, and be a
 * child itself: the end travels up.
 */
async function timeOut(
  ctx: ServiceContext,
  childId: string,
  trigger: Partial<WorkflowCallTrigger>,
  reason: string,
): Promise<void> {
  const job = await parentJob(ctx, trigger);
  if (job?.status === "waiting") {
    const outcome = {
      status: "timed_out" as const,
      exitCode: null,
      error: `sub-workflow run ${childId} timed out: ${reason}`,
      retryable: false,
      finishedAt: ctx.now(),
    };
    await withUnitOfWork(ctx, (tx) => finishTask(ctx, tx, job, outcome, null));
  }
  await cancelRunTree(ctx, childId, `timed out: ${reason}`);
  if (trigger.parent_run) await completeParent(ctx, trigger.parent_run);
}
