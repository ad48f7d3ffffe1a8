import { parseColumn } from "./json-column.js";

/**
 * An `inputs_json` column: a run's inputs (without secret-typed ones), a schedule's or an event
 * trigger's input values or expressions, a deployment's inputs.
 */
export function decodeInputs(row: { inputs_json: string }): Record<string, unknown> {
  return parseColumn<Record<string, unknown>>(row.inputs_json);
}
