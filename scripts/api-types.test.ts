import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { API_SCHEMAS } from "../packages/server/src/routes/api-schemas.js";
// @ts-expect-error: a build script in plain JavaScript, without type declarations
import { renderApiTypes } from "./write-api-types.mjs";

const root = path.resolve(import.meta.dirname, "..");
const render = renderApiTypes as (schemas: unknown) => string;

describe("the web UI's API types", () => {
  it("are what the server's route schemas give (npm run build writes them)", () => {
    const committed = readFileSync(path.join(root, "packages/ui/src/lib/api-types.generated.ts"), "utf8");
    expect(committed).toBe(render(API_SCHEMAS));
  });

  it("turn required, nullable, enum, nested and named schemas into TypeScript", () => {
    const inner = { type: "object", properties: { a: { type: "integer" } }, required: ["a"] };
    const text = render({
      Inner: inner,
      Outer: {
        type: "object",
        properties: {
          state: { type: "string", enum: ["on", "off"], description: "the state" },
          at: { type: ["string", "null"] },
          inner: inner,
          list: { type: "array", items: { type: "string" } },
          map: { type: "object", additionalProperties: { type: "number" } },
          any: {},
        },
        required: ["state"],
      },
    });
    expect(text).toContain("export type Inner = {\n  a: number;\n};");
    expect(text).toContain('  /** the state */\n  state: "on" | "off";');
    expect(text).toContain("  at?: string | null;");
    expect(text).toContain("  inner?: Inner;");
    expect(text).toContain("  list?: string[];");
    expect(text).toContain("  map?: Record<string, number>;");
    expect(text).toContain("  any?: unknown;");
  });
});
