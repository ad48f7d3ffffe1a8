import { createHash } from "node:crypto";
import type { OptionsFrom } from "@gantry/core";
import type { WorkflowDefinition } from "../service/workflow-definition.js";

/**
 * The one-step workflow that runs an `options_from.run` script on a worker. The inputs it depends on
 * are its inputs and reach the script as INPUT_<NAME> environment variables; the script's text is the
 * author's alone. Its stdout becomes the step's output `options`, between delimiters made from a hash
 * of the script: the same script gives the same revision (one stored definition, not one per use).
 */
export function optionsScriptDefinition(
  parent: WorkflowDefinition,
  input: string,
  from: OptionsFrom,
  dependencies: string[],
): WorkflowDefinition {
  const delimiter = `GANTRY_OPTIONS_${createHash("sha256").update(`options:${from.run}`).digest("hex").slice(0, 32)}`;
  const script = [
    "__gantry_options() {",
    from.run ?? "",
    "}",
    "__gantry_list=$(__gantry_options) || exit $?",
    `printf 'options<<%s\\n%s\\n%s\\n' '${delimiter}' "$__gantry_list" '${delimiter}' >> "$GANTRY_OUTPUT"`,
  ].join("\n");
  const env: Record<string, string> = {};
  for (const dep of dependencies)
    env[`INPUT_${dep.toUpperCase().replace(/-/g, "_")}`] = `\${{ inputs.${dep} }}`;
  const defaults = parent.workflow.defaults?.runner ? { runner: parent.workflow.defaults.runner } : undefined;
  return {
    name: parent.name,
    root: parent.root,
    workflow: {
      name: parent.name,
      description: `options of input ${input}`,
      inputs: Object.fromEntries(dependencies.map((d) => [d, { type: "string" as const }])),
      ...(defaults ? { defaults } : {}),
      steps: {
        [`options-${input}`]: { run: script, shell: from.shell ?? "bash", env, timeout: "2m" },
      },
    },
    actions: {},
    ...(parent.source ? { source: parent.source } : {}),
  };
}
