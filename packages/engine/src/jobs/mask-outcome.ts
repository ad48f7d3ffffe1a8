import { type Masker, maskDeep, type TaskOutcome } from "@gantry/core";

/**
 * A job's outcome as it may be stored: every secret its steps knew (resolved references, secret inputs,
 * ::add-mask:: values) masked in its outputs, its error, and each of its steps' outputs and error, as a
 * step's own outcome is.
 */
export function maskedJobOutcome(outcome: TaskOutcome, masker: Masker): TaskOutcome {
  return {
    ...outcome,
    ...(outcome.outputs ? { outputs: maskDeep(outcome.outputs, masker) } : {}),
    ...(outcome.error ? { error: masker.mask(outcome.error) } : {}),
    ...(outcome.steps
      ? {
          steps: outcome.steps.map((step) => ({
            ...step,
            outputs: maskDeep(step.outputs, masker),
            ...(step.error ? { error: masker.mask(step.error) } : {}),
          })),
        }
      : {}),
  };
}
