import { describe, expect, it } from "vitest";
import { errorSchemaFor, uiSchemaFor } from "./ui-schema";

describe("uiSchemaFor", () => {
  it("picks a widget per input type and labels each field with the input's name", () => {
    const ui = uiSchemaFor({
      type: "object",
      properties: {
        env: { type: "string", enum: ["a", "b"] },
        token: { type: "string", writeOnly: true, format: "password" },
        dry: { type: "boolean" },
        labels: { type: "object" },
        regions: { type: "array" },
        name: { type: "string" },
      },
    });
    expect(ui.env).toEqual({ "ui:title": "env", "ui:widget": "select" });
    expect(ui.token?.["ui:widget"]).toBe("password");
    expect(ui.dry?.["ui:widget"]).toBe("switch");
    expect(ui.labels?.["ui:field"]).toBe("json");
    expect(ui.regions?.["ui:field"]).toBe("json");
    expect(ui.name).toEqual({ "ui:title": "name" });
  });
});

describe("errorSchemaFor", () => {
  it("puts each server error under the input it names", () => {
    const schema = errorSchemaFor([
      { field: "replicas", message: "input 'replicas': must be >= 1" },
      { field: "inputs.env", message: "must be one of staging, production" },
      { field: "replicas", message: "second" },
    ]);
    expect(schema).toEqual({
      replicas: { __errors: ["input 'replicas': must be >= 1", "second"] },
      env: { __errors: ["must be one of staging, production"] },
    });
  });
});
