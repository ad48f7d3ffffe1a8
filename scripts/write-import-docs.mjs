// Writes the compatibility tables of docs/import.md from the converters' own feature tables (built
// packages/import), between the <!-- compatibility:<kind> --> markers. A test
// (packages/import/src/docs.test.ts) fails when the page and the tables differ.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { compatibilityTable, FEATURE_TABLES } from "../packages/import/dist/index.js";

const file = new URL("../docs/import.md", import.meta.url);
let text = readFileSync(file, "utf8");
for (const [kind, table] of Object.entries(FEATURE_TABLES)) {
  const pattern = new RegExp(
    `(<!-- compatibility:${kind} -->\\n)[\\s\\S]*?(<!-- /compatibility:${kind} -->)`,
  );
  if (!pattern.test(text)) throw new Error(`docs/import.md has no <!-- compatibility:${kind} --> section`);
  text = text.replace(pattern, (_all, start, end) => `${start}${compatibilityTable(table)}\n${end}`);
}
writeFileSync(file, text);
// The formatter aligns the tables' columns, as it does for every Markdown file of the repository.
execFileSync("npx", ["biome", "format", "--write", "docs/import.md"], {
  cwd: new URL("..", import.meta.url),
  stdio: "inherit",
});
