import type { NodeRecord, PreparedTask } from "@gantry/core";
import { inputVariableName, stepEnvironment } from "../local/environment.js";
import { shellQuote } from "./remote.js";

/** Where a step's files are on the node. */
export interface RemoteFiles {
  dir: string;
  inputs: string;
  output: string;
  /** $GANTRY_STEP_SUMMARY, read back with the outputs. */
  summary: string;
  workDir: string;
  actionDir?: string;
}

/**
 * The environment of a step on a node: the one place it is built. What the step sees is what a local
 * step sees (its `env`, INPUT_*, GANTRY_INPUTS, GANTRY_OUTPUT and the rest, pointing at the node's
 * folder) plus the node it runs on; nothing of the worker's own environment (its PATH, HOME, GANTRY_*
 * settings) reaches another machine: the node's login gives PATH and HOME.
 */
export function sshStepEnvironment(
  task: PreparedTask,
  files: RemoteFiles,
  runId: string,
  node: NodeRecord,
): Record<string, string> {
  const env = stepEnvironment(task, files, runId, {});
  Object.assign(env, {
    GANTRY_NODE_NAME: node.name,
    GANTRY_NODE_HOST: node.host,
    GANTRY_NODE_TAGS: node.tags.join(","),
  });
  if (node.user !== undefined) env.GANTRY_NODE_USER = node.user;
  for (const [name, value] of Object.entries(node.attributes)) {
    env[`GANTRY_NODE_ATTR_${inputVariableName(name)}`] = value;
  }
  return env;
}

/** A shell variable name; others (`my-var`) cannot be exported by sh and are left out, with a notice. */
const SHELL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The environment as a file the wrapper sources: `export NAME='value'` lines, kept in the step's private
 * folder (mode 700) rather than on a command line, where any user of the node could read it. `folder`
 * stands in the values for the folder's path, which the wrapper knows as "$d".
 */
export function environmentFile(
  env: Record<string, string>,
  folder: string,
): { text: string; skipped: string[] } {
  const skipped: string[] = [];
  const lines: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (!SHELL_NAME.test(name)) {
      skipped.push(name);
      continue;
    }
    lines.push(`export ${name}=${value.split(folder).map(shellQuote).join('"$d"')}`);
  }
  return { text: `${lines.join("\n")}\n`, skipped };
}
