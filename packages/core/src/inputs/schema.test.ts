import { describe, expect, it } from "vitest";
import { inputJsonSchema, inputsJsonSchema } from "./schema.js";

describe("inputsJsonSchema", () => {
  it("describes each input and requires only required inputs without a default", () => {
    expect(
      inputsJsonSchema({
        env: { type: "choice", enum: ["staging", "production"], default: "staging", description: "Where" },
        replicas: { type: "integer", minimum: 1, maximum: 9, required: true, default: 2 },
        tag: { type: "string", pattern: "^v", required: true },
        token: { type: "secret", required: true, description: "API token" },
        hosts: { type: "array", items: { type: "string" } },
      }),
    ).toEqual({
      type: "object",
      additionalProperties: false,
      properties: {
        env: { enum: ["staging", "production"], default: "staging", description: "Where" },
        replicas: { type: "integer", minimum: 1, maximum: 9, default: 2 },
        tag: { type: "string", pattern: "^v" },
        token: { type: "string", writeOnly: true, format: "password", description: "API token" },
        hosts: { type: "array", items: { type: "string" } },
      },
      required: ["tag", "token"],
    });
  });

  it("is an empty object schema without inputs", () => {
    expect(inputsJsonSchema()).toEqual({
      type: "object",
      additionalProperties: false,
      properties: {},
      required: [],
    });
  });

  it("never publishes a secret's default", () => {
    expect(inputJsonSchema({ type: "secret", default: "leak" })).not.toHaveProperty("default");
  });
});
