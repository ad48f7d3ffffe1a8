import { randomUUID } from "node:crypto";
import {
  type ConcurrencyGroup,
  chooseRunNodes,
  coerceInputs,
  concurrencyGroupOf,
  onlyWaiting,
  type RunInfo,
  type RunState,
  type StepState,
  stampGates,
  type Task,
  usesNodes,
  waitingGates,
} from "@gantry/core";
import type { Insertable, Selectable } from "kysely";
import { recordDeployment } from "../gates/deployments.js";
import { queueRunNotifications } from "../notify/events.js";
import type { LocalWorkers } from "../queue/local-workers.js";
import type { NotifierLike } from "../queue/notifier.js";
import { startedTask } from "../queue/started-task.js";
import { decodeLabels, decodeRunState } from "../store/decode/index.js";
import { GroupCommit } from "../store/group-commit.js";
import { type AuditEntry, insertAudit } from "../store/queries/audit-insert.js";
import { enqueueJobs } from "../store/queries/enqueue-jobs.js";
import { getRun } from "../store/queries/get-run.js";
import { getWorkflow } from "../store/queries/get-workflow.js";
import { insertManyNotifying } from "../store/queries/insert-many.js";
import { insertRun } from "../store/queries/insert-run.js";
import { insertRunWithJobs } from "../store/queries/insert-run-with-jobs.js";
import type { Db } from "../store/queries/types.js";
import type { JobsTable, RunStepsTable, RunsTable, WorkflowsTable } from "../store/tables.js";
import type { SlotOffer, StartedTask } from "../worker/worker-queue.js";
import { cancelRunLocked } from "./cancel-run.js";
import { admitRun } from "./concurrency-group.js";
import { InvalidInputError, NotFoundError, type ServiceContext } from "./context.js";
import { environmentPolicies } from "./environments.js";
import { jobsFor, startedAttemptRow } from "./jobs.js";
import { planStart } from "./plan-start.js";
import { maskedJson, runInfo, secretMasker, stateRows } from "./run-record.js";
import { startWritesMore } from "./start-writes.js";
import { type UnitOfWork, withUnitOfWork } from "./unit-of-work.js";
import type { WorkflowDefinition } from "./workflow-definition.js";

export interface CreateRunRequest {
  workflow: string;
  inputs?: Record<string, unknown>;
  trigger?: RunInfo["trigger"];
  /** The `github` context of a run a GitHub event started. */
  github?: Record<string, unknown>;
  /** Run this revision instead of the workflow's current one (re-runs). */
  revision?: string;
  parentRunId?: string;
  attempt?: number;
  /** Steps already done (a re-run from the failed steps keeps the ones that succeeded). */
  keep?: Record<string, StepState>;
  /** A workflow no source registers (a library workflow a sub-workflow calls): run it at `revision`. */
  unregistered?: boolean;
}

/**
 * Workflow rows already read in this transaction, by name: a batch of fires starting many runs of the
 * same workflows reads each once (10 schedules a workflow in the scheduler benchmark).
 */
export type WorkflowCache = Map<string, WorkflowRow>;

/** A run that needs no decision under a lock, as the rows that start it. */
export interface PreparedRun {
  id: string;
  run: Insertable<RunsTable>;
  /** Its steps' rows (see run_steps). */
  steps: Insertable<RunStepsTable>[];
  jobs: Insertable<JobsTable>[];
  /** The time its rows are stamped with (created, available, finished). */
  now: number;
}

/**
 * The same rows stamped with a later time: a run prepared ahead (the scheduler's, before its minute)
 * is created when it is written, and its jobs' delays count from then.
 */
export function restamp(prepared: PreparedRun, now: number): PreparedRun {
  const shift = (t: number) => t + now - prepared.now;
  const { run } = prepared;
  return {
    id: prepared.id,
    now,
    steps: prepared.steps,
    run: {
      ...run,
      created_at: now,
      finished_at: typeof run.finished_at === "number" ? shift(run.finished_at) : run.finished_at,
    },
    jobs: prepared.jobs.map((job) => ({ ...job, created_at: now, available_at: shift(job.available_at) })),
  };
}

/**
 * Everything a new run is, before anything is written: its workflow and definition (at the requested
 * revision), its inputs checked and coerced (secret ones apart), its info and its concurrency group.
 */
async function resolveRun(ctx: ServiceContext, db: Db, request: CreateRunRequest, workflows?: WorkflowCache) {
  let row = request.unregistered ? unregisteredRow(request) : workflows?.get(request.workflow);
  if (!row) {
    row = await getWorkflow(db, request.workflow);
    if (row) workflows?.set(request.workflow, row);
  }
  if (!row) throw new NotFoundError(`unknown workflow '${request.workflow}'`);
  const revision = request.revision ?? row.revision;
  const definition = await ctx.definitions.at(db, revision);
  const spec = definition.workflow;
  const inputs = coerceInputs(spec.inputs, request.inputs ?? {});
  if (inputs.errors.length > 0) throw new InvalidInputError(inputs.errors);

  const secretNames = Object.entries(spec.inputs ?? {})
    .filter(([, s]) => s.type === "secret")
    .map(([n]) => n);
  const publicInputs = Object.fromEntries(
    Object.entries(inputs.values).filter(([n]) => !secretNames.includes(n)),
  );
  const secretInputs = Object.fromEntries(
    Object.entries(inputs.values).filter(([n]) => secretNames.includes(n)),
  );
  const id = randomUUID();
  const trigger = request.trigger ?? { type: "manual" };
  const info: RunInfo = {
    id,
    workflow: row.name,
    attempt: request.attempt ?? 1,
    trigger,
    inputs: inputs.values,
    ...(request.github ? { github: request.github } : {}),
  };
  const environments = environmentPolicies(spec, ctx.environments ?? []);
  if (environments) info.environments = environments;
  // Nodes are chosen as the run starts (from public inputs only: the selectors are kept with the run).
  const actions = Object.fromEntries(Object.entries(definition.actions).map(([id, a]) => [id, a.spec]));
  if (ctx.nodes && usesNodes(spec, actions)) {
    const { nodes } = await ctx.nodes.current();
    info.nodes = chooseRunNodes(spec, actions, { ...info, inputs: publicInputs }, nodes);
  }
  const base = runRow(ctx, {
    id,
    row,
    revision,
    trigger,
    publicInputs,
    secretNames,
    secretInputs,
    info,
    definition,
    parentRunId: request.parentRunId ?? null,
  });
  return { id, definition, spec, info, base, group: concurrencyGroupOf(definition.workflow, info) };
}

type ResolvedRun = Awaited<ReturnType<typeof resolveRun>>;

/** A new run's first task, started as the run is written, for a worker of this process (see LocalWorkers). */
interface FirstTask {
  offer: SlotOffer;
  task: Task;
  /** Its job's row, inserted as leased to the offer's worker. */
  job: Insertable<JobsTable>;
  state: RunState;
}

/**
 * The rows that start a run: planned, masked, its first steps queued (a group's caller sets the group).
 * With `workers`, a ready task one of them can run is started in them instead of queued (`first`).
 */
function startingRows(
  r: ResolvedRun,
  now: number,
  keep?: Record<string, StepState>,
  workers?: LocalWorkers,
): PreparedRun & { first?: FirstTask } {
  const planned = planStart(r.definition, r.info, keep);
  const jobs = jobsFor(r.id, r.spec, planned.tasks, now, r.definition.actions);
  const first = workers ? takeFirst(workers, planned, jobs, now) : undefined;
  const masker = secretMasker(r.spec, r.info);
  const finished = planned.state.status !== "running";
  stampGates(planned.state, now);
  const triggerType = r.info.trigger.type;
  const { header, steps } = stateRows(planned.state, masker);
  const status = finished
    ? planned.state.status
    : first
      ? "running"
      : onlyWaiting(planned.state)
        ? "waiting"
        : "queued";
  return {
    id: r.id,
    now,
    steps: steps.map((step) => ({ ...step, run_id: r.id })),
    run: {
      ...r.base,
      trigger_type: typeof triggerType === "string" ? triggerType : null,
      status,
      state_json: header,
      outputs_json: finished ? maskedJson(planned.state.outputs, masker) : null,
      error: null,
      concurrency_group: null,
      created_at: now,
      started_at: first ? now : null,
      finished_at: finished ? now : null,
    },
    jobs: first ? jobs.filter((job) => job !== first.job) : jobs,
    ...(first ? { first } : {}),
  };
}

/**
 * The first ready task (due now, not after a delay) that a worker of this process has a free slot and
 * the labels for, marked running in the plan; undefined when none has, and the run is only queued.
 * Steps that wait for an approval or an environment's gate are not among the ready tasks.
 */
function takeFirst(
  workers: LocalWorkers,
  planned: ReturnType<typeof planStart>,
  jobs: Insertable<JobsTable>[],
  now: number,
): FirstTask | undefined {
  const ready = planned.tasks.flatMap((task, i) => {
    const job = jobs[i];
    return job && task.delayMs === 0 ? [{ task, job, labels: decodeLabels(job) }] : [];
  });
  if (ready.length === 0) return undefined;
  const fitting = (labels: string[]) => ready.find((r) => r.labels.every((label) => labels.includes(label)));
  const offer = workers.offer((labels) => fitting(labels) !== undefined);
  if (!offer) return undefined;
  const chosen = fitting(offer.labels);
  if (!chosen || !planned.planner.claim(planned.state, chosen.task, now)) {
    offer.decline();
    return undefined;
  }
  return { offer, task: chosen.task, job: chosen.job, state: planned.state };
}

/**
 * The rows that would start this run, for callers that write many runs at once (the scheduler's
 * batches); undefined when the workflow has a concurrency group, whose decision needs `createRun`.
 */
export async function prepareRun(
  ctx: ServiceContext,
  db: Db,
  request: CreateRunRequest,
  workflows?: WorkflowCache,
): Promise<PreparedRun | undefined> {
  const resolved = await resolveRun(ctx, db, request, workflows);
  return resolved.group ? undefined : startingRows(resolved, ctx.now(), request.keep);
}

/**
 * Creates a run in the caller's unit of work: checks and coerces its inputs, applies the workflow's
 * concurrency policy, plans the first steps and queues them. Secret inputs are stored only encrypted.
 */
export async function createRun(
  ctx: ServiceContext,
  tx: UnitOfWork,
  request: CreateRunRequest,
): Promise<{ id: string; status: string }> {
  const resolved = await resolveRun(ctx, tx.db, request);
  if (resolved.group) return admitRunToGroup(ctx, tx, resolved, resolved.group, request.keep);
  const prepared = startingRows(resolved, ctx.now(), request.keep, ctx.localWorkers);
  const { id, status, queued, handed } = await insertWithoutGroup(ctx, tx.db, resolved, prepared);
  // A run that handed its only task to a worker here has nothing for other workers.
  if (queued || !handed) tx.notify("jobs");
  if (handed) {
    // The worker runs the task once the unit has committed; a unit that fails frees its slot.
    tx.afterCommit(handed.accept);
    tx.afterFailure(handed.decline);
  }
  return { id, status };
}

/**
 * Starts one run for a caller that does nothing else in the same transaction (the API, a git event, a
 * sub-workflow step): a run without a concurrency group is one atomic write. On Postgres that write is
 * grouped with the creations under way at the same time (see runCreations): 50 API requests at once
 * cost a few statements, each answered once its run is committed. A run with a group is decided by
 * createRun's rules in a unit of work of its own. With `audit`, the run's audit entry is written with it.
 * Without `workflows`, a run of the workflow's current revision starts from this process's row of it,
 * checked as the run is written (see WorkflowRowCache): no statement reads it per run.
 */
export async function startRun(
  ctx: ServiceContext,
  request: CreateRunRequest,
  workflows?: WorkflowCache,
  audit?: AuditOf,
): Promise<{ id: string; status: string }> {
  const current = !workflows && request.revision === undefined && !request.unregistered;
  const cached =
    current && ctx.database.dialect === "postgres" ? ctx.workflowRows.get(request.workflow) : undefined;
  if (cached) {
    const run = await startRunOn(ctx, request, new Map([[cached.name, cached]]), audit, cached);
    if (run) return run;
    // The workflow changed since this process read it: start from the row as it is now.
    ctx.workflowRows.forget(request.workflow);
  }
  const read: WorkflowCache = workflows ?? new Map();
  const run = await startRunOn(ctx, request, read, audit);
  const row = read.get(request.workflow);
  if (current && row && ctx.database.dialect === "postgres") ctx.workflowRows.set(row);
  if (!run) throw new Error("a run started from a fresh read of its workflow was refused as stale");
  return run;
}

/**
 * startRun on the workflow rows in `workflows` (read into it when missing). With `cached`, the row came
 * from this process's cache: undefined, and nothing written, when the workflow no longer has its revision.
 */
async function startRunOn(
  ctx: ServiceContext,
  request: CreateRunRequest,
  workflows: WorkflowCache,
  audit: AuditOf | undefined,
  cached?: WorkflowRow,
): Promise<{ id: string; status: string } | undefined> {
  const resolved = await resolveRun(ctx, ctx.database.db, request, workflows);
  const { group } = resolved;
  // The writes below check no revision: the row is read again first, as it was before the cache.
  const stillCurrent = async () =>
    !cached || (await getWorkflow(ctx.database.db, cached.name))?.revision === cached.revision;
  if (group) {
    if (!(await stillCurrent())) return undefined;
    return withUnitOfWork(ctx, async (tx) => {
      const run = await admitRunToGroup(ctx, tx, resolved, group, request.keep);
      if (audit) await insertAudit(tx.db, audit(run));
      return run;
    });
  }
  const run = { id: resolved.id, status: "queued" };
  const now = ctx.now();
  // A worker of this process with a free slot takes the first task in the run's own write.
  const prepared = startingRows(resolved, now, request.keep, ctx.localWorkers);
  if (ctx.database.dialect !== "postgres" || prepared.first) {
    if (!(await stillCurrent())) {
      prepared.first?.offer.decline();
      return undefined;
    }
    const { queued, handed } = await insertWithoutGroup(ctx, ctx.database.db, resolved, prepared);
    if (audit) await insertAudit(ctx.database.db, audit(run));
    handed?.accept();
    if (queued || !handed) await ctx.notifier.notify("jobs");
    return run;
  }
  const written = await runCreations(ctx).add({
    prepared,
    notifier: ctx.notifier,
    ...(audit ? { audit: audit(run) } : {}),
    ...(cached ? { guard: { workflow: cached.name, revision: cached.revision } } : {}),
  });
  if (!written) return undefined;
  if (notifiesAsCreated(prepared.run)) await notifyCreated(ctx, ctx.database.db, resolved.id, now);
  return run;
}

/**
 * The audit entry of a run started for someone (the API's), given the run as its caller will be
 * answered: written with the run (on Postgres in the same statement), so an answered start is audited.
 */
export type AuditOf = (run: { id: string; status: string }) => AuditEntry;

interface Creation {
  prepared: PreparedRun;
  /** Whom to wake once it is committed: a notifier that travels through the database in the statement. */
  notifier: NotifierLike;
  audit?: AuditEntry;
  /** Write it only if the workflow still has this revision (it came from WorkflowRowCache). */
  guard?: { workflow: string; revision: string };
}

/**
 * startRun's creations on one Postgres database: the runs, their step rows, first jobs and audit
 * entries of every creation in the group go in as one statement (an atomic one, so no BEGIN and
 * COMMIT), which also wakes the workers (pg_notify, delivered as it commits). Each is answered
 * whether it was written: one whose guard found its workflow changed is not, and the statement, which
 * then wrote nothing, is sent again for the others.
 */
function runCreations(ctx: ServiceContext): GroupCommit<Creation, boolean> {
  const { database } = ctx;
  const write = async (items: Creation[]): Promise<string[]> => {
    const channels = new Set<string>();
    const others = new Set<NotifierLike>();
    for (const { notifier } of items) {
      const channel = notifier.databaseChannel?.("jobs");
      if (channel) channels.add(channel);
      else others.add(notifier);
    }
    const runs = items.map((i) => i.prepared);
    const guards = new Map(items.flatMap((i) => (i.guard ? [[guardKey(i.guard), i.guard] as const] : [])));
    const { stale } = await insertManyNotifying(
      database.db,
      [
        { table: "runs", rows: runs.map((p) => p.run) },
        { table: "run_steps", rows: runs.flatMap((p) => p.steps) },
        { table: "jobs", rows: runs.flatMap((p) => p.jobs) },
        { table: "audit_log", rows: items.flatMap((i) => (i.audit ? [{ ...i.audit }] : [])) },
      ],
      [...channels],
      [...guards.values()],
    );
    if (stale.length === 0) for (const notifier of others) await notifier.notify("jobs");
    return stale.map(guardKey);
  };
  return ctx.groupCommits.of(
    "run-creations",
    database,
    () =>
      new GroupCommit<Creation, boolean>(
        async (items) => {
          const written = items.map(() => true);
          let left = items.map((_, i) => i);
          for (;;) {
            const stale = new Set(await write(left.map((i) => items[i] as Creation)));
            if (stale.size === 0) return written;
            // Nothing was written: the creations of a changed workflow are refused, the others sent again.
            for (const i of left) {
              const guard = items[i]?.guard;
              if (guard && stale.has(guardKey(guard))) written[i] = false;
            }
            left = left.filter((i) => written[i]);
            if (left.length === 0) return written;
          }
        },
        // Rows travel as one JSON parameter per table, so a group's size is bounded by what one
        // statement should hold, not by Postgres' parameter limit.
        { maxItems: 100, maxInFlight: 2 },
      ),
  );
}

const guardKey = (guard: { workflow: string; revision: string }) =>
  JSON.stringify([guard.workflow, guard.revision]);

/**
 * A run without a concurrency group: nothing to decide under a lock, so the run and its first jobs go
 * in as one statement on Postgres (see insertRunWithJobs). When a worker of this process has a free
 * slot, a first task goes in already leased to it and started, and `handed` gives it to that worker
 * once the write has committed (`accept`), or frees the slot (`decline`): no wake-up, no claim and no
 * start transaction between the run's creation and its first step. The caller wakes the workers for
 * the jobs left `queued`.
 */
async function insertWithoutGroup(
  ctx: ServiceContext,
  db: Db,
  resolved: ResolvedRun,
  prepared: ReturnType<typeof startingRows>,
): Promise<{
  id: string;
  status: string;
  queued: boolean;
  handed?: { accept: () => void; decline: () => void };
}> {
  const { now, first } = prepared;
  const queued = prepared.jobs.length > 0;
  const write = async (tx: Db) => {
    const written = await insertRunWithJobs(
      tx,
      ctx.database.dialect,
      prepared.run,
      prepared.jobs,
      prepared.steps,
      first && {
        job: first.job,
        attempt: startedAttemptRow(first.job, first.offer.workerId, now),
        workerId: first.offer.workerId,
        leaseUntil: first.offer.leaseUntil,
      },
    );
    if (first) await recordFirstStart(ctx, tx, resolved, first, now);
    if (notifiesAsCreated(prepared.run)) await notifyCreated(ctx, tx, resolved.id, now);
    return written;
  };
  let written: Awaited<ReturnType<typeof write>>;
  try {
    // The deployment or the message of a first task's start goes in with the run, in one transaction.
    written =
      first && !db.isTransaction && startWritesMore(ctx, resolved.spec, first.task.step)
        ? await db.transaction().execute(write)
        : await write(db);
  } catch (error) {
    // The write may have committed with its answer lost: the worker looks for jobs it holds.
    first?.offer.decline(true);
    throw error;
  }
  const run = { id: resolved.id, status: "queued", queued };
  if (!first) return run;
  const { taken } = written;
  if (!taken) {
    first.offer.decline(true);
    return run;
  }
  const started: StartedTask = startedTask(
    ctx,
    {
      job: taken,
      task: first.task,
      run: {
        id: resolved.id,
        workflow: resolved.base.workflow,
        concurrency_group: null,
        masked_values: null,
      },
      definition: resolved.definition,
      info: resolved.info,
      state: first.state,
    },
    { ...taken, available_at: now, lease_until: first.offer.leaseUntil },
  );
  return {
    ...run,
    handed: {
      accept() {
        // The run's state as written (its first revision): the first step's finish need not read it.
        ctx.runStates.put(resolved.id, 1, first.state);
        first.offer.accept(started);
      },
      decline: () => first.offer.decline(true),
    },
  };
}

/** What a task's start writes besides its run's rows (as startTask does), for a run's first task. */
async function recordFirstStart(
  ctx: ServiceContext,
  db: Db,
  resolved: ResolvedRun,
  first: FirstTask,
  now: number,
): Promise<void> {
  if (!startWritesMore(ctx, resolved.spec, first.task.step)) return;
  const row = await getRun(db, resolved.id);
  if (!row) return;
  const { definition, info } = resolved;
  await recordDeployment(db, row, definition, info, first.state, first.task, now);
  await queueRunNotifications(ctx, db, {
    row,
    workflow: definition.workflow,
    info,
    state: first.state,
    now,
    started: true,
  });
}

/** A run of a concurrency group: started, left pending or skipped as its group's admission says. */
async function admitRunToGroup(
  ctx: ServiceContext,
  tx: UnitOfWork,
  resolved: ResolvedRun,
  group: ConcurrencyGroup,
  keep: Record<string, StepState> | undefined,
): Promise<{ id: string; status: string }> {
  const { id, base } = resolved;
  const now = ctx.now();
  const admission = await admitRun(tx, group);
  if (admission.decision !== "start") {
    const skipped = admission.decision === "skip";
    await insertRun(tx.db, {
      ...base,
      status: skipped ? "skipped" : "pending",
      state_json: "null",
      outputs_json: null,
      error: skipped ? admission.reason : null,
      concurrency_group: group.name,
      created_at: now,
      finished_at: skipped ? now : null,
    });
    return { id, status: skipped ? "skipped" : "pending" };
  }
  for (const other of admission.cancel) {
    await cancelRunLocked(ctx, tx, other);
    // Workers stop the cancelled runs' steps on this notification; without it they would notice only at
    // their next heartbeat (a third of the lease: 10 s by default).
    tx.notify("cancel", other);
  }
  // A run can end as it starts (every step kept or skipped): its outputs may then quote a secret input.
  const prepared = startingRows(resolved, now, keep);
  await insertRunWithJobs(
    tx.db,
    ctx.database.dialect,
    { ...prepared.run, concurrency_group: group.name },
    [],
    prepared.steps,
  );
  await enqueueJobs(tx.db, prepared.jobs);
  if (notifiesAsCreated(prepared.run)) await notifyCreated(ctx, tx.db, id, now);
  tx.notify("jobs");
  return { id, status: "queued" };
}

/** The columns of a new run that do not depend on how it starts. */
function runRow(
  ctx: ServiceContext,
  r: {
    id: string;
    row: WorkflowRow;
    revision: string;
    trigger: RunInfo["trigger"];
    publicInputs: Record<string, unknown>;
    secretNames: string[];
    secretInputs: Record<string, unknown>;
    info: RunInfo;
    definition: WorkflowDefinition;
    parentRunId: string | null;
  },
) {
  return {
    id: r.id,
    workflow: r.row.name,
    revision: r.revision,
    trigger_json: JSON.stringify(r.trigger),
    inputs_json: JSON.stringify(r.publicInputs),
    secret_inputs: r.secretNames.length > 0 ? ctx.box.seal(JSON.stringify(r.secretInputs)) : null,
    info_json: JSON.stringify({ ...r.info, inputs: r.publicInputs }),
    attempt: r.info.attempt,
    parent_run_id: r.parentRunId,
    // The revision pins the commit too (a definition names its commit), so a re-run keeps both.
    source: r.definition.source?.name ?? null,
    commit_sha: r.definition.source?.commit ?? null,
    cancel_requested: 0,
    started_at: null,
  };
}

/** Whether a new run's row calls for messages at once: it waits for people, or it ended as it started. */
export function notifiesAsCreated(run: { status: string; finished_at?: number | null }): boolean {
  return run.status === "waiting" || (run.finished_at !== null && run.finished_at !== undefined);
}

/**
 * The messages of a run as it is created (its row is written already): approval_required when its first
 * nodes wait for people, and its end when it ended at once (an environment refused its branch).
 */
export async function notifyCreated(ctx: ServiceContext, db: Db, id: string, now: number): Promise<void> {
  const row = await getRun(db, id);
  if (!row) return;
  const definition = await ctx.definitions.at(db, row.revision);
  const info = runInfo(row, ctx.box);
  const state = decodeRunState(row);
  if (!state) return;
  const newGates = waitingGates(state).map((g) => g.step);
  await queueRunNotifications(ctx, db, {
    row,
    workflow: definition.workflow,
    info,
    state,
    now,
    newGates,
    endedNow: row.finished_at !== null,
  });
}

export type WorkflowRow = Selectable<WorkflowsTable>;

/** The workflow row a run of an unregistered workflow stands on: its name and stored revision. */
function unregisteredRow(request: CreateRunRequest): WorkflowRow | undefined {
  if (!request.revision) return undefined;
  return {
    name: request.workflow,
    source: "library",
    file: request.workflow,
    revision: request.revision,
    definition_json: "{}",
    input_schema_json: "{}",
    description: null,
    updated_at: 0,
  };
}
