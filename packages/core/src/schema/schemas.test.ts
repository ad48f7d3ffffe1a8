// biome-ignore lint/style/noRestrictedImports: tests may read the published files; core's source may not.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { actionSchema } from "./action-schema.js";
import { workflowSchema } from "./workflow-schema.js";

const published = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`../../../../schema/${name}.schema.json`, import.meta.url), "utf8"));

describe("the published JSON Schemas", () => {
  // scripts/write-schemas.mjs writes them at build time; a stale committed copy would mislead editors.
  it("schema/workflow.schema.json is workflowSchema", () => {
    expect(published("workflow")).toEqual(workflowSchema);
  });

  it("schema/action.schema.json is actionSchema", () => {
    expect(published("action")).toEqual(actionSchema);
  });
});

describe("the schemas", () => {
  it("are draft-07 with the definitions their $refs point at", () => {
    for (const schema of [workflowSchema, actionSchema]) {
      expect(schema.$schema).toBe("http://json-schema.org/draft-07/schema#");
      const refs = JSON.stringify(schema).match(/"#\/definitions\/[^"]+"/g) ?? [];
      expect(refs.length).toBeGreaterThan(0);
      for (const ref of refs) {
        expect(Object.keys(schema.definitions)).toContain(ref.slice('"#/definitions/'.length, -1));
      }
    }
  });
});
