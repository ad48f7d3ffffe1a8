import type { TaskOutcome } from "@gantry/core";
import { decideGate, type GateDecisionRequest } from "../gates/decide.js";
import { cancelRun } from "../service/cancel-run.js";
import type { ServiceContext } from "../service/context.js";
import { type CreateRunRequest, createRun } from "../service/create-run.js";
import { type FinishOptions, finishTask, type Job } from "../service/tasks.js";
import { withUnitOfWork } from "../service/unit-of-work.js";

/*
 * The run operations as a route or a worker calls them: each in a unit of work of its own, committed
 * (and its wake-ups sent) when it returns.
 */

export const createRunInUnit = (ctx: ServiceContext, request: CreateRunRequest) =>
  withUnitOfWork(ctx, (tx) => createRun(ctx, tx, request));

export const cancelRunInUnit = (ctx: ServiceContext, id: string) =>
  withUnitOfWork(ctx, (tx) => cancelRun(ctx, tx, id));

export const decideGateInUnit = (ctx: ServiceContext, request: GateDecisionRequest) =>
  withUnitOfWork(ctx, (tx) => decideGate(ctx, tx, request));

export const finishTaskInUnit = (
  ctx: ServiceContext,
  job: Job,
  outcome: TaskOutcome,
  workerId: string | null,
  options?: FinishOptions,
) => withUnitOfWork(ctx, (tx) => finishTask(ctx, tx, job, outcome, workerId, options));
