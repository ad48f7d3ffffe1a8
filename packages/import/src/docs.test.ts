// biome-ignore lint/style/noRestrictedImports: the test reads the published page; the package's source may not.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { FEATURE_TABLES } from "./convert.js";
import { OUTCOMES } from "./report/features.js";
import { compatibilityTable, markdownCell } from "./report/render.js";

const page = readFileSync(new URL("../../../docs/import.md", import.meta.url), "utf8");

/** A Markdown table without the padding the formatter adds (biome aligns the columns). */
function unpadded(table: string): string {
  return table
    .split("\n")
    .map((line) =>
      line
        .replace(/ *(?<!\\)\| */g, "|")
        .replace(/-{3,}/g, "---")
        .trim(),
    )
    .join("\n");
}

describe("docs/import.md", () => {
  it.each(Object.keys(FEATURE_TABLES))(
    "has the %s compatibility table the converter's own table gives",
    (kind) => {
      const section = new RegExp(
        `<!-- compatibility:${kind} -->\\n([\\s\\S]*?)<!-- /compatibility:${kind} -->`,
      ).exec(page);
      expect(section, `docs/import.md has no ${kind} section`).not.toBeNull();
      // When this fails: node scripts/write-import-docs.mjs (after npm run build) writes the tables again.
      const table = compatibilityTable(FEATURE_TABLES[kind as keyof typeof FEATURE_TABLES]);
      expect(unpadded(section?.[1] ?? "")).toBe(unpadded(`${table}\n`));
    },
  );

  it("lists every feature of every table with one of the four outcomes", () => {
    for (const table of Object.values(FEATURE_TABLES)) {
      for (const feature of Object.values(table)) {
        expect(OUTCOMES).toContain(feature.outcome);
        expect(unpadded(page)).toContain(`|${markdownCell(feature.source)}|`);
      }
    }
  });
});
