import type { InputSpec } from "../format/types.js";
import { optionsDependencies } from "./options-from.js";

/**
 * The JSON Schema of a workflow's or action's inputs: what the API validates a run request against and
 * what the UI generates its run form from. `secret` is a write-only string; `choice` is its `enum`;
 * `nodes` is a node selector, checked for syntax.
 */
export function inputsJsonSchema(specs: Record<string, InputSpec> = {}): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  const required: string[] = [];
  for (const [name, spec] of Object.entries(specs)) {
    properties[name] = inputJsonSchema(spec);
    if (spec.required && spec.default === undefined) required.push(name);
  }
  return { type: "object", additionalProperties: false, properties, required };
}

export function inputJsonSchema(spec: InputSpec): Record<string, unknown> {
  const schema: Record<string, unknown> = {};
  switch (spec.type) {
    case "secret":
      Object.assign(schema, { type: "string", writeOnly: true, format: "password" });
      break;
    case "choice":
      break;
    case "nodes":
      // A node selector (tags:web and env:prod), written as text in a form or on a command line.
      Object.assign(schema, {
        type: "string",
        description: "A node selector, such as tags:web and env:prod",
      });
      break;
    default:
      schema.type = spec.type;
  }
  if (spec.description !== undefined) schema.description = spec.description;
  if (spec.default !== undefined && spec.type !== "secret") schema.default = spec.default;
  if (spec.enum !== undefined) schema.enum = spec.enum;
  if (spec.minimum !== undefined) schema.minimum = spec.minimum;
  if (spec.maximum !== undefined) schema.maximum = spec.maximum;
  if (spec.pattern !== undefined) schema.pattern = spec.pattern;
  if (spec.items !== undefined) schema.items = spec.items;
  // The form asks GET …/inputs/<name>/options for the values, again whenever one of these changes.
  if (spec.options_from) schema["x-options-from"] = { depends_on: optionsDependencies(spec.options_from) };
  return schema;
}
