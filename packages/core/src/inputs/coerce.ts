import type { InputSpec } from "../format/types.js";
import { parseNodeSelector } from "../nodes/selector.js";
import { ajv } from "../validate/ajv.js";
import { didYouMean } from "../validate/did-you-mean.js";
import { inputJsonSchema } from "./schema.js";

export interface InputError {
  /** The input's name. */
  field: string;
  message: string;
}

export interface CoercedInputs {
  values: Record<string, unknown>;
  errors: InputError[];
}

/**
 * Turns raw inputs into typed values: applies defaults, coerces strings (from a command line, a form or a
 * webhook) to the declared type, and checks type, enum, bounds, pattern and required. Every error names
 * the field and what is allowed; one bad input does not hide the others.
 */
export function coerceInputs(
  specs: Record<string, InputSpec> = {},
  raw: Record<string, unknown> = {},
): CoercedInputs {
  const values: Record<string, unknown> = {};
  const errors: InputError[] = [];
  for (const name of Object.keys(raw)) {
    if (!(name in specs)) {
      const declared = Object.keys(specs);
      const hint =
        didYouMean(name, declared) ||
        (declared.length ? ` (declared: ${declared.join(", ")})` : " (this workflow declares no inputs)");
      errors.push({ field: name, message: `unknown input '${name}'${hint}` });
    }
  }
  for (const [name, spec] of Object.entries(specs)) {
    const given = raw[name];
    if (given === undefined || given === null) {
      if (spec.default !== undefined) values[name] = structuredCloneJson(spec.default);
      else if (spec.required)
        errors.push({ field: name, message: `input '${name}' is required${describeAllowed(spec)}` });
      continue;
    }
    const coerced = coerceValue(spec, given);
    if ("error" in coerced) {
      errors.push({ field: name, message: `input '${name}': ${coerced.error}` });
      continue;
    }
    const problem = checkValue(spec, coerced.value);
    if (problem) errors.push({ field: name, message: `input '${name}': ${problem}` });
    else values[name] = coerced.value;
  }
  return { values, errors };
}

/** Checks a value already of the right JS type against the spec's constraints; returns the problem or undefined. */
export function checkValue(spec: InputSpec, value: unknown): string | undefined {
  const validate = compiledInputValidator(spec);
  if (validate(value)) return spec.type === "nodes" ? selectorProblem(value as string) : undefined;
  const error = validate.errors?.[0];
  if (!error) return "is not valid";
  const secret = spec.type === "secret";
  const shown = secret ? "the value" : JSON.stringify(value);
  switch (error.keyword) {
    case "enum":
      return `${shown} is not one of the allowed values: ${(spec.enum ?? []).map((v) => JSON.stringify(v)).join(", ")}`;
    case "minimum":
      return `${shown} is less than the minimum ${spec.minimum}`;
    case "maximum":
      return `${shown} is more than the maximum ${spec.maximum}`;
    case "pattern":
      return `${shown} does not match the pattern ${spec.pattern}`;
    case "type":
      // A secret given as a number or a map (JSON from the API, a YAML scalar) must not be echoed either.
      return `must be ${typeName(spec)}, got ${secret ? describeType(value) : JSON.stringify(value)}`;
    default:
      return `${shown} ${error.message ?? "is not valid"}`;
  }
}

type Coerced = { value: unknown } | { error: string };

function coerceValue(spec: InputSpec, given: unknown): Coerced {
  if (typeof given !== "string") return { value: given };
  const text = given;
  switch (spec.type) {
    case "number":
    case "integer": {
      const n = text.trim() === "" ? Number.NaN : Number(text);
      if (Number.isNaN(n) || (spec.type === "integer" && !Number.isInteger(n))) {
        return { error: `must be ${typeName(spec)}, got '${text}'` };
      }
      return { value: n };
    }
    case "boolean": {
      const lower = text.trim().toLowerCase();
      if (lower === "true" || lower === "1" || lower === "yes") return { value: true };
      if (lower === "false" || lower === "0" || lower === "no") return { value: false };
      return { error: `must be a boolean (true or false), got '${text}'` };
    }
    case "array":
    case "object": {
      try {
        return { value: JSON.parse(text) };
      } catch {
        return { error: `must be ${typeName(spec)} written as JSON, got '${text}'` };
      }
    }
    case "choice":
      // A choice of numbers or booleans is given as text on a command line; match it to the declared value.
      return { value: spec.enum?.find((v) => String(v) === text) ?? text };
    default:
      return { value: text };
  }
}

function typeName(spec: InputSpec): string {
  switch (spec.type) {
    case "integer":
      return "an integer";
    case "array":
      return "a JSON list";
    case "object":
      return "a JSON object";
    case "secret":
    case "choice":
      return "a string";
    case "nodes":
      return "a node selector (text such as tags:web)";
    default:
      return `a ${spec.type}`;
  }
}

function selectorProblem(text: string): string | undefined {
  try {
    parseNodeSelector(text);
    return undefined;
  } catch (error) {
    return `${JSON.stringify(text)} is not a node selector: ${(error as Error).message}`;
  }
}

function describeType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  return typeof value === "object" ? "a map" : `a ${typeof value}`;
}

function describeAllowed(spec: InputSpec): string {
  return spec.enum ? ` (one of: ${spec.enum.map((v) => JSON.stringify(v)).join(", ")})` : "";
}

const validators = new Map<string, ReturnType<ReturnType<typeof ajv>["compile"]>>();

function compiledInputValidator(spec: InputSpec) {
  const schema = inputJsonSchema(spec);
  delete schema.default;
  const key = JSON.stringify(schema);
  let fn = validators.get(key);
  if (!fn) {
    fn = ajv().compile(schema);
    validators.set(key, fn);
  }
  return fn;
}

function structuredCloneJson(value: unknown): unknown {
  return value !== null && typeof value === "object" ? JSON.parse(JSON.stringify(value)) : value;
}
