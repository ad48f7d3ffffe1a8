import { InvalidInputError, type ServiceContext } from "../service/context.js";
import { decodeInputSchema } from "../store/decode/index.js";
import { getWorkflows } from "../store/queries/get-workflow.js";
import { OptionsResolver, OptionsSourceError } from "./resolve-options.js";

/**
 * Which inputs of a workflow take their options from a live source, by workflow, for a short while:
 * a scheduler firing thousands of runs a minute reads each workflow once a beat, not once a fire. A
 * workflow changed since is seen within this time.
 */
const OPTION_INPUTS_TTL_MS = 2000;

/**
 * Checks each value given to an `options_from` input against the input's current options, before a
 * run starts: an API or UI request, a schedule's fire, a trigger's event, a parent run's sub-workflow
 * step. Throws InvalidInputError naming each field, its value and the options (or why the options
 * could not be computed: a value that cannot be checked is refused too, so a stale value never starts a
 * run unnoticed). Inputs left out (their default applies) and workflows no source registers (a library
 * workflow) are not checked. `resolver` defaults to one keeping its lists in the process's StartCheckCache.
 */
export async function checkOptionInputs(
  ctx: ServiceContext,
  workflow: string,
  inputs: Record<string, unknown>,
  resolver: OptionsResolver = sharedResolver(ctx),
): Promise<void> {
  const names = await optionInputNames(ctx, workflow);
  const errors: Array<{ field: string; message: string }> = [];
  for (const name of names) {
    if (inputs[name] === undefined) continue;
    try {
      const problem = await resolver.check(workflow, name, inputs);
      if (problem) errors.push({ field: name, message: `inputs.${name}: ${problem}` });
    } catch (error) {
      if (!(error instanceof OptionsSourceError)) throw error;
      errors.push({
        field: name,
        message: `inputs.${name}: cannot check against its options: ${error.message}`,
      });
    }
  }
  if (errors.length > 0) throw new InvalidInputError(errors);
}

/** A resolver on this context (its store, maybe a transaction) sharing the process's computed lists. */
function sharedResolver(ctx: ServiceContext): OptionsResolver {
  return new OptionsResolver(ctx, { cache: ctx.startChecks.lists });
}

async function optionInputNames(ctx: ServiceContext, workflow: string): Promise<string[]> {
  return (await optionInputsOf(ctx, [workflow])).get(workflow) ?? [];
}

/**
 * The `options_from` inputs of each workflow, read in one query for those not seen within the TTL: a
 * scheduler batch of many workflows costs one statement, not one per fire. Requests that miss while one
 * is read wait for that read (50 API requests arriving as the entry expired would read it 50 times).
 */
export async function optionInputsOf(
  ctx: ServiceContext,
  workflows: string[],
): Promise<Map<string, string[]>> {
  const { optionInputs: byWorkflow, optionInputReads: reads } = ctx.startChecks;
  const now = Date.now();
  const missing = [...new Set(workflows)].filter((w) => !((byWorkflow.get(w)?.until ?? 0) > now));
  const joined = missing.flatMap((w) => reads.get(w) ?? []);
  const toRead = missing.filter((w) => !reads.has(w));
  if (toRead.length > 0) {
    const read = (async () => {
      const rows = await getWorkflows(ctx.database.db, toRead);
      for (const name of toRead) {
        const row = rows.find((r) => r.name === name);
        const schema = row
          ? (decodeInputSchema(row) as { properties?: Record<string, Record<string, unknown>> })
          : {};
        const names = Object.entries(schema.properties ?? {})
          .filter(([, property]) => property["x-options-from"])
          .map(([input]) => input);
        byWorkflow.set(name, { until: now + OPTION_INPUTS_TTL_MS, names });
      }
    })();
    for (const name of toRead) reads.set(name, read);
    joined.push(
      read.finally(() => {
        for (const name of toRead) if (reads.get(name) === read) reads.delete(name);
      }),
    );
  }
  await Promise.all(joined);
  return new Map(workflows.map((w) => [w, byWorkflow.get(w)?.names ?? []]));
}
