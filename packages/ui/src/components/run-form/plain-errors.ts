import type { RJSFValidationError } from "@rjsf/utils";

/**
 * Ajv's wording ("must have required property 'label'", "must be >= 1") in plain words a form shows under
 * the field: "Enter a label", "At least 1". Errors without a plain form keep Ajv's message.
 */
export function plainErrors(errors: RJSFValidationError[]): RJSFValidationError[] {
  return errors.map((error) => {
    const message = plainMessage(error);
    return message ? { ...error, message, stack: message } : error;
  });
}

function plainMessage(error: RJSFValidationError): string | undefined {
  const params = (error.params ?? {}) as Record<string, unknown>;
  switch (error.name) {
    case "required": {
      const field = String(params.missingProperty ?? "").replace(/_/g, " ");
      return field ? `Enter ${/^[aeiou]/i.test(field) ? "an" : "a"} ${field}` : "Required";
    }
    case "minimum":
      return `At least ${params.limit}`;
    case "exclusiveMinimum":
      return `More than ${params.limit}`;
    case "maximum":
      return `At most ${params.limit}`;
    case "exclusiveMaximum":
      return `Less than ${params.limit}`;
    case "type":
      return params.type === "integer"
        ? "Enter a whole number"
        : params.type === "number"
          ? "Enter a number"
          : undefined;
    case "enum":
      return Array.isArray(params.allowedValues)
        ? `Choose one of: ${params.allowedValues.join(", ")}`
        : undefined;
    case "minLength":
      return Number(params.limit) === 1 ? "Must not be empty" : `At least ${params.limit} characters`;
    case "maxLength":
      return `At most ${params.limit} characters`;
    case "pattern":
      return `Must match the pattern ${params.pattern}`;
    case "minItems":
      return `At least ${params.limit} item${Number(params.limit) === 1 ? "" : "s"}`;
    case "maxItems":
      return `At most ${params.limit} item${Number(params.limit) === 1 ? "" : "s"}`;
    default:
      return undefined;
  }
}
