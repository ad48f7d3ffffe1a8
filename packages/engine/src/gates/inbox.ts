import { type ApproversSpec, type InputSpec, parseDuration, waitingGates } from "@gantry/core";
import type { ServiceContext } from "../service/context.js";
import { decodeRunInfo, decodeRunState } from "../store/decode/index.js";
import { withRunSteps } from "../store/queries/run-steps.js";

/** A gate waiting for a decision, as the Approvals inbox and the run page show it. */
export interface PendingGate {
  run_id: string;
  workflow: string;
  step: string;
  kind: "approval" | "environment";
  environment: string | null;
  url: string | null;
  message: string | null;
  approvers: ApproversSpec;
  inputs: Record<string, InputSpec>;
  allow_self: boolean;
  /** Who started the run (`trigger.actor`), for the allow_self rule. */
  started_by: string | null;
  since: number | null;
  /** When on_timeout decides, or null. */
  expires_at: number | null;
  on_timeout: "approve" | "reject" | null;
}

/**
 * The gates waiting now, oldest first: runs that are active and whose state holds a waiting item. The
 * text filter keeps this to the few runs that wait (a JSON scan of every running run would not).
 */
export async function pendingGates(
  ctx: ServiceContext,
  options: { runId?: string } = {},
): Promise<PendingGate[]> {
  const { db } = ctx.database;
  let query = db
    .selectFrom("runs")
    .select(["id", "workflow", "revision", "info_json", "state_json", "created_at"])
    .where("status", "in", ["running", "waiting"])
    .where((eb) =>
      eb.or([
        // A run written before run_steps existed holds its steps in its own row.
        eb("state_json", "like", '%"status":"waiting"%'),
        eb.exists(
          eb
            .selectFrom("run_steps")
            .select("run_steps.step")
            .whereRef("run_steps.run_id", "=", "runs.id")
            .where("run_steps.state_json", "like", '%"status":"waiting"%'),
        ),
      ]),
    );
  if (options.runId) query = query.where("id", "=", options.runId);
  const rows = await withRunSteps(db, await query.orderBy("created_at").limit(500).execute());
  const out: PendingGate[] = [];
  for (const row of rows) {
    const state = decodeRunState(row);
    const info = decodeRunInfo(row);
    const gates = state ? waitingGates(state) : [];
    if (gates.length === 0) continue;
    const definition = await ctx.definitions.at(db, row.revision);
    for (const { step, gate } of gates) {
      const spec = definition.workflow.steps[step];
      const approval = spec?.approval;
      const timeoutMs = approval?.timeout !== undefined ? parseDuration(approval.timeout) : undefined;
      const policy = gate.kind === "environment" ? info.environments?.[gate.environment ?? ""] : undefined;
      const approvers = (gate.kind === "approval" ? approval?.approvers : policy?.approvers) ?? {};
      out.push({
        run_id: row.id,
        workflow: row.workflow,
        step,
        kind: gate.kind,
        environment: gate.environment ?? null,
        url: gate.url ?? null,
        message: gate.message ?? null,
        approvers,
        inputs: approval?.inputs ?? {},
        allow_self: (gate.kind === "approval" ? approval?.allow_self : policy?.allowSelf) ?? false,
        started_by: typeof info.trigger.actor === "string" ? info.trigger.actor : null,
        since: gate.since ?? null,
        expires_at: timeoutMs !== undefined && gate.since !== undefined ? gate.since + timeoutMs : null,
        on_timeout: timeoutMs !== undefined ? (approval?.on_timeout ?? "reject") : null,
      });
    }
  }
  return out;
}
