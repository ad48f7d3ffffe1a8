import { ConflictError, type ServiceContext } from "../service/context.js";
import { withUnitOfWork } from "../service/unit-of-work.js";
import { decideGate } from "./decide.js";
import { pendingGates } from "./inbox.js";

/**
 * Decides every approval whose timeout passed, as its on_timeout says (reject by default). Safe on every
 * server at once: a gate another server decided first is no longer waiting, and that decision stands.
 */
export async function expireGates(ctx: ServiceContext): Promise<number> {
  const now = ctx.now();
  let decided = 0;
  for (const gate of await pendingGates(ctx)) {
    if (gate.expires_at === null || gate.expires_at > now || gate.on_timeout === null) continue;
    try {
      const decision = gate.on_timeout;
      await withUnitOfWork(ctx, (tx) =>
        decideGate(ctx, tx, {
          runId: gate.run_id,
          step: gate.step,
          decision,
          comment: `no decision within the timeout; on_timeout: ${decision}`,
        }),
      );
      decided += 1;
    } catch (error) {
      // Decided or cancelled meanwhile: nothing left to do.
      if (!(error instanceof ConflictError)) throw error;
    }
  }
  return decided;
}
