import { type OutputUnit, type Schema, Validator } from "@cfworker/json-schema";
import {
  type CustomValidator,
  createErrorHandler,
  type ErrorTransformer,
  type RJSFSchema,
  type RJSFValidationError,
  toErrorSchema,
  type UiSchema,
  unwrapErrorHandler,
  type ValidationData,
  type ValidatorType,
  validationDataMerge,
} from "@rjsf/utils";

/**
 * The forms' validator (run and approval forms), for rjsf: @cfworker/json-schema interprets the schema
 * where Ajv (@rjsf/validator-ajv8) compiles it into a function, which a Content-Security-Policy without
 * 'unsafe-eval' forbids. The forms' schemas come from each workflow at run time, so they cannot be
 * precompiled at build time. The server checks every submission with Ajv again; this one only spares a
 * round trip. Errors are given Ajv's shape (`name`, `params`), so the forms' messages stay the same.
 */
export class FormValidator implements ValidatorType<unknown, RJSFSchema> {
  private readonly compiled = new WeakMap<object, Validator>();

  private validatorFor(schema: RJSFSchema): Validator {
    let validator = this.compiled.get(schema);
    if (!validator) {
      // Draft 7: the dialect of the workflow input schemas (and of Ajv's default).
      validator = new Validator(schema as Schema, "7", false);
      this.compiled.set(schema, validator);
    }
    return validator;
  }

  rawValidation<Result = OutputUnit>(
    schema: RJSFSchema,
    formData?: unknown,
  ): { errors?: Result[]; validationError?: Error } {
    try {
      const result = this.validatorFor(schema).validate(formData ?? {});
      return { errors: result.errors as Result[] };
    } catch (error) {
      return { validationError: error as Error };
    }
  }

  /** `rootSchema` resolves `$ref`s in rjsf's own validator; the forms' schemas have none. */
  isValid(schema: RJSFSchema, formData: unknown, _rootSchema?: RJSFSchema): boolean {
    try {
      return this.validatorFor(schema).validate(formData ?? {}).valid;
    } catch {
      return false;
    }
  }

  validateFormData(
    formData: unknown,
    schema: RJSFSchema,
    customValidate?: CustomValidator<unknown, RJSFSchema>,
    transformErrors?: ErrorTransformer<unknown, RJSFSchema>,
    uiSchema?: UiSchema<unknown, RJSFSchema>,
  ): ValidationData<unknown> {
    const raw = this.rawValidation<OutputUnit>(schema, formData);
    let errors: RJSFValidationError[] = (raw.errors ?? []).flatMap((unit) => {
      const error = asRjsfError(unit, schema);
      return error ? [error] : [];
    });
    if (raw.validationError)
      errors = [...errors, { stack: `the form's schema cannot be checked: ${raw.validationError.message}` }];
    if (typeof transformErrors === "function") errors = transformErrors(errors, uiSchema);
    const errorSchema = toErrorSchema<unknown>(errors);
    if (typeof customValidate !== "function") return { errors, errorSchema };
    const handler = customValidate(formData, createErrorHandler(formData), uiSchema);
    return validationDataMerge({ errors, errorSchema }, unwrapErrorHandler(handler));
  }
}

/** Keywords whose error only says that something inside failed: the inner error says what. */
const SUMMARY_KEYWORDS = new Set([
  "properties",
  "items",
  "prefixItems",
  "additionalItems",
  "allOf",
  "$ref",
  "if",
  "then",
  "else",
]);

/** Ajv's wording of the bounds, which the forms' messages are written against. */
const AJV_LIMIT_MESSAGES: Record<string, (limit: unknown) => string> = {
  minimum: (n) => `must be >= ${n}`,
  maximum: (n) => `must be <= ${n}`,
  exclusiveMinimum: (n) => `must be > ${n}`,
  exclusiveMaximum: (n) => `must be < ${n}`,
  minLength: (n) => `must NOT have fewer than ${n} characters`,
  maxLength: (n) => `must NOT have more than ${n} characters`,
  minItems: (n) => `must NOT have fewer than ${n} items`,
  maxItems: (n) => `must NOT have more than ${n} items`,
};

/**
 * One error of the interpreter as rjsf expects it from Ajv: `property` as `.a.b`, `name` the keyword,
 * and the keyword's `params` (limit, type, allowedValues, missingProperty) read from the schema.
 */
function asRjsfError(unit: OutputUnit, root: RJSFSchema): RJSFValidationError | undefined {
  if (SUMMARY_KEYWORDS.has(unit.keyword)) return undefined;
  const instancePath = unit.instanceLocation.replace(/^#/, "");
  let property = instancePath
    .split("/")
    .filter(Boolean)
    .map((s) => `.${s.replace(/~1/g, "/").replace(/~0/g, "~")}`)
    .join("");
  const value = pointer(root, unit.keywordLocation);
  const params: Record<string, unknown> = {};
  let message = unit.error;
  switch (unit.keyword) {
    case "required": {
      const missing = /required property "([^"]*)"/.exec(unit.error)?.[1];
      params.missingProperty = missing;
      message = `must have required property '${missing}'`;
      if (missing !== undefined) property = `${property}.${missing}`;
      break;
    }
    case "minimum":
    case "maximum":
    case "exclusiveMinimum":
    case "exclusiveMaximum":
    case "minLength":
    case "maxLength":
    case "minItems":
    case "maxItems":
      params.limit = value;
      message = AJV_LIMIT_MESSAGES[unit.keyword]?.(value) ?? message;
      break;
    case "type":
      params.type = value;
      message = `must be ${Array.isArray(value) ? value.join(",") : String(value)}`;
      break;
    case "enum":
      params.allowedValues = value;
      message = "must be equal to one of the allowed values";
      break;
    case "pattern":
      params.pattern = value;
      message = `must match pattern "${String(value)}"`;
      break;
    case "additionalProperties": {
      const extra = /property "([^"]*)"/.exec(unit.error)?.[1];
      params.additionalProperty = extra;
      message = "must NOT have additional properties";
      break;
    }
  }
  const schemaPath = unit.keywordLocation;
  return {
    name: unit.keyword,
    property,
    message,
    params,
    stack: `${property} ${message}`.trim(),
    schemaPath,
  };
}

/** The value at a `#/a/b` pointer of the schema, or undefined. */
function pointer(root: unknown, location: string): unknown {
  let node: unknown = root;
  for (const raw of location.replace(/^#\/?/, "").split("/").filter(Boolean)) {
    const key = decodeURIComponent(raw).replace(/~1/g, "/").replace(/~0/g, "~");
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** The one validator the forms share (its compiled schemas are kept per schema object). */
export const formValidator = new FormValidator();
