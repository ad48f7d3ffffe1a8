import type { WorkflowDefinition } from "../../service/workflow-definition.js";
import { parseColumn } from "./json-column.js";

export function decodeDefinition(row: { definition_json: string }): WorkflowDefinition {
  return parseColumn<WorkflowDefinition>(row.definition_json);
}

/** The JSON Schema of a workflow's run inputs, as its run form is generated from. */
export interface InputSchema {
  type: "object";
  properties?: Record<string, Record<string, unknown>>;
  required?: string[];
  [key: string]: unknown;
}

export function decodeInputSchema(row: { input_schema_json: string }): InputSchema {
  return parseColumn<InputSchema>(row.input_schema_json);
}
