import type { RJSFValidationError } from "@rjsf/utils";
import { describe, expect, it } from "vitest";
import { plainErrors } from "./plain-errors";

const error = (
  name: string,
  params: Record<string, unknown>,
  message = "ajv wording",
): RJSFValidationError => ({
  name,
  params,
  message,
  stack: message,
  property: ".x",
});

describe("form errors in plain words", () => {
  it("says what to do instead of quoting the schema", () => {
    const messages = plainErrors([
      error("required", { missingProperty: "label" }, "must have required property 'label'"),
      error("required", { missingProperty: "environment" }),
      error("minimum", { limit: 1, comparison: ">=" }, "must be >= 1"),
      error("maximum", { limit: 9 }),
      error("type", { type: "integer" }),
      error("enum", { allowedValues: ["staging", "production"] }),
      error("format", { format: "email" }, 'must match format "email"'),
    ]).map((e) => e.message);
    expect(messages).toEqual([
      "Enter a label",
      "Enter an environment",
      "At least 1",
      "At most 9",
      "Enter a whole number",
      "Choose one of: staging, production",
      'must match format "email"',
    ]);
  });
});
