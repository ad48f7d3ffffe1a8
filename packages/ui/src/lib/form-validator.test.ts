import type { RJSFSchema } from "@rjsf/utils";
import { describe, expect, it } from "vitest";
import { formValidator } from "./form-validator";

const schema: RJSFSchema = {
  type: "object",
  required: ["service"],
  properties: {
    service: { type: "string", minLength: 1 },
    replicas: { type: "integer", minimum: 1, maximum: 9 },
    environment: { type: "string", enum: ["staging", "production"] },
    ticket: { type: "string", pattern: "^OPS-\\d+$" },
  },
};

describe("formValidator (no eval: interprets the schema)", () => {
  it("gives Ajv-shaped errors: the field as .name, the keyword, its params and Ajv's wording", () => {
    const { errors, errorSchema } = formValidator.validateFormData(
      { replicas: 0, environment: "qa", ticket: "nope" },
      schema,
    );
    const byName = Object.fromEntries(errors.map((e) => [e.name, e]));
    expect(byName.required).toMatchObject({ property: ".service", params: { missingProperty: "service" } });
    expect(byName.minimum).toMatchObject({
      property: ".replicas",
      params: { limit: 1 },
      message: "must be >= 1",
    });
    expect(byName.enum).toMatchObject({
      property: ".environment",
      params: { allowedValues: ["staging", "production"] },
    });
    expect(byName.pattern?.message).toBe('must match pattern "^OPS-\\d+$"');
    expect(errors.map((e) => e.name).sort()).toEqual(["enum", "minimum", "pattern", "required"]);
    expect((errorSchema as Record<string, { __errors?: string[] }>).replicas?.__errors).toEqual([
      "must be >= 1",
    ]);
  });

  it("answers isValid for a schema and data, as rjsf asks when choosing among oneOf options", () => {
    expect(formValidator.isValid(schema, { service: "web", replicas: 2 }, schema)).toBe(true);
    expect(formValidator.isValid(schema, { service: "web", replicas: 20 }, schema)).toBe(false);
  });
});
