import { ConflictError, type ServiceContext } from "../service/context.js";
import { withUnitOfWork } from "../service/unit-of-work.js";
import { insertAudit } from "../store/queries/audit-insert.js";
import { decideGate } from "./decide.js";
import { pendingGates } from "./inbox.js";

/** The audit log's actor for decisions taken by an approval's timeout. */
export const TIMEOUT_ACTOR = "timeout";

/**
 * Decides every approval whose timeout passed, as its on_timeout says (reject by default). Safe on every
 * server at once: a gate another server decided first is no longer waiting, and that decision stands.
 * The decision goes to the audit log in the same transaction, as a person's decision does.
 */
export async function expireGates(ctx: ServiceContext): Promise<number> {
  const now = ctx.now();
  let decided = 0;
  for (const gate of await pendingGates(ctx)) {
    if (gate.expires_at === null || gate.expires_at > now || gate.on_timeout === null) continue;
    try {
      const decision = gate.on_timeout;
      await withUnitOfWork(ctx, async (tx) => {
        const result = await decideGate(ctx, tx, {
          runId: gate.run_id,
          step: gate.step,
          decision,
          comment: `no decision within the timeout; on_timeout: ${decision}`,
        });
        await insertAudit(tx.db, {
          at: ctx.now(),
          actor: TIMEOUT_ACTOR,
          actor_name: TIMEOUT_ACTOR,
          action: `approval.${decision}`,
          target: gate.run_id,
          detail_json: JSON.stringify({
            run_id: gate.run_id,
            step: gate.step,
            comment: result.decision.comment,
            inputs: result.inputs,
            run_status: result.run_status,
            timed_out: true,
          }),
          ip: null,
        });
      });
      decided += 1;
    } catch (error) {
      // Decided or cancelled meanwhile: nothing left to do.
      if (!(error instanceof ConflictError)) throw error;
    }
  }
  return decided;
}
