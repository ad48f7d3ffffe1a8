// "Builds" the project: copies src/ to dist/ with a banner naming the commit, and prints what it wrote.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";

const commit = process.env.GIT_COMMIT ?? "unknown";
mkdirSync("dist", { recursive: true });
for (const file of readdirSync("src")) {
  const text = readFileSync(`src/${file}`, "utf8");
  writeFileSync(`dist/${file}`, `// built from ${commit}\n${text}`);
  console.log(`dist/${file}: ${text.length} bytes`);
}
