// "Builds" the project: compiles each file of src/ (here: strips its comments) into dist/ with a banner
// naming the commit, and prints what it wrote. A compiled file is kept in .build-cache/ under the hash of
// its source, so an unchanged file is not compiled again: the CI example keeps that folder in a
// gantry/cache entry, as a real compiler's cache would be.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";

const commit = process.env.GIT_COMMIT ?? "unknown";
mkdirSync("dist", { recursive: true });
mkdirSync(".build-cache", { recursive: true });
let reused = 0;
for (const file of readdirSync("src")) {
  const text = readFileSync(`src/${file}`, "utf8");
  const cached = `.build-cache/${createHash("sha256").update(text).digest("hex")}.js`;
  const hit = existsSync(cached);
  if (hit) reused++;
  else writeFileSync(cached, text.replace(/^\s*\/\*\*.*\*\/\n/gm, ""));
  const compiled = readFileSync(cached, "utf8");
  writeFileSync(`dist/${file}`, `// built from ${commit}\n${compiled}`);
  console.log(`dist/${file}: ${compiled.length} bytes${hit ? " (from the build cache)" : ""}`);
}
console.log(`compiled ${readdirSync("src").length - reused} file(s), reused ${reused} from the build cache`);
