import { checkOptionInputs, optionInputsOf } from "../options/start-check.js";
import { InvalidInputError, type ServiceContext } from "../service/context.js";
import type { FireItem } from "./fire.js";

/**
 * The schedules of a batch whose `inputs:` give an `options_from` input a value that is not among its
 * current options (or whose options cannot be computed now), with the error to record on their fires.
 * Only fires that would start a run are checked (a batch of missed times is not).
 */
export async function refusedByOptions(ctx: ServiceContext, batch: FireItem[]): Promise<Map<string, Error>> {
  const refused = new Map<string, Error>();
  const starting = batch.filter(({ plan }) => plan.decisions.some((d) => d.action !== "missed"));
  // One statement for the batch's workflows; only those with `options_from` inputs are checked further.
  const inputs = await optionInputsOf(
    ctx,
    starting.map(({ target }) => target.workflow),
  );
  for (const { target } of starting) {
    if ((inputs.get(target.workflow) ?? []).every((name) => target.inputs[name] === undefined)) continue;
    try {
      await checkOptionInputs(ctx, target.workflow, target.inputs);
    } catch (error) {
      if (!(error instanceof InvalidInputError)) throw error;
      refused.set(target.id, new Error(`not started: ${error.message}`));
    }
  }
  return refused;
}
