/** A workflow's, an action's or an approval form's inputs, as the format declares them. */

export const INPUT_TYPES = [
  "string",
  "number",
  "integer",
  "boolean",
  "array",
  "object",
  "secret",
  "choice",
  "nodes",
] as const;
export type InputType = (typeof INPUT_TYPES)[number];

export interface InputSpec {
  type: InputType;
  description?: string;
  default?: unknown;
  required?: boolean;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  pattern?: string;
  items?: Record<string, unknown>;
  /** A choice whose values are computed when a form is filled in (see inputs/options-from.ts). */
  options_from?: OptionsFrom;
}

export const SHELLS = ["bash", "sh", "python", "node"] as const;
export type Shell = (typeof SHELLS)[number];

/**
 * Where a choice input's values come from at the time a form is filled in: a script's stdout, a
 * workflow's `options` output, or an HTTP GET. Each gives a JSON list of values or of `{value, label}`.
 */
export interface OptionsFrom {
  /** A script; the inputs it depends on reach it as INPUT_<NAME> variables, never inside its text. */
  run?: string;
  shell?: Shell;
  /** For `run`: the inputs it depends on (a script's text holds no expressions to find them in). */
  depends_on?: string[];
  /** A workflow of the same source; its output `options` is the list. */
  workflow?: string;
  with?: Record<string, unknown>;
  /** A URL; `${{ inputs.x }}` in it is URL-encoded. */
  http?: string;
  /** Where the list is in the JSON reply (or the script's/workflow's output): `$.items[*].name`. */
  path?: string;
  /** How long a list is reused for the same depended-on values (default 1m). */
  cache?: string | number;
}
