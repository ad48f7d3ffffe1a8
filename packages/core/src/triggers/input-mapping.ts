import type { Problem } from "../format/types.js";

/** Where a trigger entry's parts are: its dotted path for messages, its file position for problems. */
export interface EntryLocator {
  where(...rest: string[]): string;
  at(rest: string[], key?: boolean): Omit<Problem, "message">;
}

type Declared = Record<string, { required?: boolean; default?: unknown }>;

/**
 * A trigger entry's `inputs:` against the workflow's inputs, for every trigger that maps a payload to
 * inputs (webhooks, events): it names only declared inputs, and maps every required one without a
 * default. `from` says what the mapping reads, for the example in the message.
 */
export function inputMappingProblems(
  entry: Record<string, unknown>,
  declared: Declared,
  locate: EntryLocator,
  from: "request" | "event",
): Problem[] {
  const problems: Problem[] = [];
  const mapped = isMap(entry.inputs);
  const mapping = mapped ? (entry.inputs as Record<string, unknown>) : {};
  const names = Object.keys(declared);
  for (const name of Object.keys(mapping)) {
    if (!(name in declared))
      problems.push({
        ...locate.at(["inputs", name], true),
        message: `${locate.where("inputs")}: '${name}' is not an input of this workflow${
          names.length > 0 ? ` (inputs: ${names.join(", ")})` : ""
        }`,
      });
  }
  for (const [name, spec] of Object.entries(declared)) {
    if (isMap(spec) && spec.required === true && spec.default === undefined && !(name in mapping))
      problems.push({
        ...locate.at(mapped ? ["inputs"] : [], !mapped),
        message: `${locate.where("inputs")}: input '${name}' is required: map it from the ${from}, e.g. ${name}: \${{ trigger.payload.${name} }}`,
      });
  }
  return problems;
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
