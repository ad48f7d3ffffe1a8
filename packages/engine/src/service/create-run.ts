import { randomUUID } from "node:crypto";
import {
  type ConcurrencyGroup,
  chooseRunNodes,
  coerceInputs,
  concurrencyGroupOf,
  onlyWaiting,
  type RunInfo,
  type StepState,
  stampGates,
  usesNodes,
  waitingGates,
} from "@gantry/core";
import type { Insertable, Selectable } from "kysely";
import { queueRunNotifications } from "../notify/events.js";
import type { NotifierLike } from "../queue/notifier.js";
import type { Database } from "../store/database.js";
import { decodeRunState } from "../store/decode/index.js";
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
import { cancelRunLocked } from "./cancel-run.js";
import { admitRun } from "./concurrency-group.js";
import { InvalidInputError, NotFoundError, type ServiceContext } from "./context.js";
import { environmentPolicies } from "./environments.js";
import { jobsFor } from "./jobs.js";
import { planStart } from "./plan-start.js";
import { maskedJson, runInfo, secretMasker, stateRows } from "./run-record.js";
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

/** The rows that start a run: planned, masked, its first steps queued (a group's caller sets the group). */
function startingRows(r: ResolvedRun, now: number, keep?: Record<string, StepState>): PreparedRun {
  const planned = planStart(r.definition, r.info, keep);
  const masker = secretMasker(r.spec, r.info);
  const finished = planned.state.status !== "running";
  stampGates(planned.state, now);
  const triggerType = r.info.trigger.type;
  const { header, steps } = stateRows(planned.state, masker);
  return {
    id: r.id,
    now,
    steps: steps.map((step) => ({ ...step, run_id: r.id })),
    run: {
      ...r.base,
      trigger_type: typeof triggerType === "string" ? triggerType : null,
      status: finished ? planned.state.status : onlyWaiting(planned.state) ? "waiting" : "queued",
      state_json: header,
      outputs_json: finished ? maskedJson(planned.state.outputs, masker) : null,
      error: null,
      concurrency_group: null,
      created_at: now,
      finished_at: finished ? now : null,
    },
    jobs: jobsFor(r.id, r.spec, planned.tasks, now, r.definition.actions),
  };
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
  const { id, status } = await insertWithoutGroup(ctx, tx.db, resolved, request.keep);
  tx.notify("jobs");
  return { id, status };
}

/**
 * Starts one run for a caller that does nothing else in the same transaction (the API, a git event, a
 * sub-workflow step): a run without a concurrency group is one atomic write. On Postgres that write is
 * grouped with the creations under way at the same time (see runCreations): 50 API requests at once
 * cost a few statements, each answered once its run is committed. A run with a group is decided by
 * createRun's rules in a unit of work of its own. With `audit`, the run's audit entry is written with it.
 */
export async function startRun(
  ctx: ServiceContext,
  request: CreateRunRequest,
  workflows?: WorkflowCache,
  audit?: AuditOf,
): Promise<{ id: string; status: string }> {
  const resolved = await resolveRun(ctx, ctx.database.db, request, workflows);
  const { group } = resolved;
  if (group)
    return withUnitOfWork(ctx, async (tx) => {
      const run = await admitRunToGroup(ctx, tx, resolved, group, request.keep);
      if (audit) await insertAudit(tx.db, audit(run));
      return run;
    });
  const run = { id: resolved.id, status: "queued" };
  if (ctx.database.dialect !== "postgres") {
    await insertWithoutGroup(ctx, ctx.database.db, resolved, request.keep);
    if (audit) await insertAudit(ctx.database.db, audit(run));
    await ctx.notifier.notify("jobs");
    return run;
  }
  const now = ctx.now();
  const prepared = startingRows(resolved, now, request.keep);
  await runCreations(ctx.database).add({
    prepared,
    notifier: ctx.notifier,
    ...(audit ? { audit: audit(run) } : {}),
  });
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
}

const creations = new WeakMap<Database, GroupCommit<Creation, void>>();

/**
 * startRun's creations on one Postgres database: the runs, their step rows, first jobs and audit
 * entries of every creation in the group go in as one statement (an atomic one, so no BEGIN and
 * COMMIT), which also wakes the workers (pg_notify, delivered as it commits).
 */
function runCreations(database: Database): GroupCommit<Creation, void> {
  let group = creations.get(database);
  if (!group) {
    group = new GroupCommit<Creation, void>(
      async (items) => {
        const channels = new Set<string>();
        const others = new Set<NotifierLike>();
        for (const { notifier } of items) {
          const channel = notifier.databaseChannel?.("jobs");
          if (channel) channels.add(channel);
          else others.add(notifier);
        }
        const runs = items.map((i) => i.prepared);
        await insertManyNotifying(
          database.db,
          [
            { table: "runs", rows: runs.map((p) => p.run) },
            { table: "run_steps", rows: runs.flatMap((p) => p.steps) },
            { table: "jobs", rows: runs.flatMap((p) => p.jobs) },
            { table: "audit_log", rows: items.flatMap((i) => (i.audit ? [{ ...i.audit }] : [])) },
          ],
          [...channels],
        );
        for (const notifier of others) await notifier.notify("jobs");
        return items.map(() => undefined);
      },
      // Rows travel as one JSON parameter per table, so a group's size is bounded by what one
      // statement should hold, not by Postgres' parameter limit.
      { maxItems: 100, maxInFlight: 2 },
    );
    creations.set(database, group);
  }
  return group;
}

/**
 * A run without a concurrency group: nothing to decide under a lock, so the run and its first jobs go
 * in as one statement on Postgres (see insertRunWithJobs). The caller wakes the workers.
 */
async function insertWithoutGroup(
  ctx: ServiceContext,
  db: Db,
  resolved: ResolvedRun,
  keep: Record<string, StepState> | undefined,
): Promise<{ id: string; status: string }> {
  const now = ctx.now();
  const prepared = startingRows(resolved, now, keep);
  await insertRunWithJobs(db, ctx.database.dialect, prepared.run, prepared.jobs, prepared.steps);
  if (notifiesAsCreated(prepared.run)) await notifyCreated(ctx, db, resolved.id, now);
  return { id: resolved.id, status: "queued" };
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
