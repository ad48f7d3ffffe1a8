import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

// Importing the secrets module must not load a client library (AWS SDK, Google's client, openpgp, age, yaml):
// `gantry run` and `gantry up` start without them. This follows every static (non-type) import from index.ts
// and checks that only Node built-ins are reached; libraries may only be loaded with import() in a function.

const root = fileURLToPath(new URL(".", import.meta.url));
const STATIC_IMPORT = /^(?:import|export)\s+(?!type\b)(?:[^;]*?\sfrom\s+)?"([^"]+)";/gm;

function staticImports(file: string): string[] {
  const source = readFileSync(file, "utf8");
  return [...source.matchAll(STATIC_IMPORT)].map((m) => m[1]!);
}

function eagerGraph(entry: string): { files: string[]; packages: string[] } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    for (const spec of staticImports(file)) {
      if (spec.startsWith(".")) visit(path.resolve(path.dirname(file), spec.replace(/\.js$/, ".ts")));
      else packages.add(spec);
    }
  };
  visit(entry);
  return { files: [...files], packages: [...packages] };
}

describe("the secrets module loads lazily", () => {
  it("index.ts reaches only Node built-ins through static imports", () => {
    const { files, packages } = eagerGraph(path.join(root, "index.ts"));
    expect(files.map((f) => path.relative(root, f))).toContain("providers/awssecrets.ts");
    expect(packages.filter((p) => !p.startsWith("node:"))).toEqual([]);
  });

  it("the check itself sees static imports (it would catch a regression)", () => {
    const { packages } = eagerGraph(path.join(root, "sops", "keys", "pgp.ts"));
    expect(packages).toContain("openpgp");
    expect(eagerGraph(path.join(root, "sops", "formats", "yaml.ts")).packages).toContain("yaml");
  });
});
