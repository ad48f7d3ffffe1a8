import { type ErrorSchema, ErrorSchemaBuilder } from "@rjsf/utils";
import type { JsonSchemaObject } from "@/lib/api";

export type UiSchema = Record<string, Record<string, unknown>>;

/**
 * Widgets per input type: a switch for booleans, a select for enums, a password field for secrets and
 * a JSON editor for objects and arrays (rjsf's nested forms cannot express free-form objects).
 */
export function uiSchemaFor(schema: JsonSchemaObject): UiSchema {
  const ui: UiSchema = {};
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    const options: Record<string, unknown> = {};
    if (property["x-options-from"]) options["ui:field"] = "options";
    else if (Array.isArray(property.enum)) options["ui:widget"] = "select";
    else if (property.writeOnly === true || property.format === "password") options["ui:widget"] = "password";
    else if (property.type === "boolean") options["ui:widget"] = "switch";
    else if (property.type === "object" || property.type === "array") options["ui:field"] = "json";
    ui[name] = { "ui:title": name, ...options };
  }
  return ui;
}

/** `{field, message}` errors from the API as rjsf's error schema, so each shows under its field. */
export function errorSchemaFor(errors: { field: string; message: string }[]): ErrorSchema {
  const builder = new ErrorSchemaBuilder();
  for (const { field, message } of errors) {
    const key = field.replace(/^inputs\./, "").split(".")[0] ?? field;
    builder.addErrors(message, key);
  }
  return builder.ErrorSchema;
}
