import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { repo } from "./testing/gantry-process.js";

const bundle = path.join(repo, "packages/cli/dist/bundle");

/**
 * The modules every start of the CLI loads: the specifiers of the static imports reachable from
 * the bundle's entry through its chunks (dynamic `import()` is left out: it loads when a role or an
 * adapter first needs it).
 */
function staticImports(entry: string): { packages: Set<string>; files: Set<string> } {
  const packages = new Set<string>();
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(path.join(bundle, file), "utf8");
    for (const match of text.matchAll(/^import\s+(?:[^"';]*?\s+from\s+)?"([^"]+)";?$/gm)) {
      const spec = match[1] as string;
      if (spec.startsWith("./")) visit(spec.slice(2));
      else packages.add(spec);
    }
  };
  visit(entry);
  return { packages, files: seen };
}

describe("the CLI's start-up", () => {
  it("loads no HTTP server, metrics or WebSocket library: `gantry run` needs none of them", () => {
    const { packages, files } = staticImports("gantry.js");
    // The walk followed the entry's chunks and found what they import (else it proves nothing).
    expect(files.size).toBeGreaterThan(1);
    // The entry reads files (the workflow) at start.
    expect([...packages]).toContain("node:fs/promises");
    const heavy = [...packages].filter((spec) =>
      /^(fastify|@fastify\/|prom-client|ws$|@opentelemetry\/|openid-client|pg$|better-sqlite3)/.test(spec),
    );
    expect(heavy).toEqual([]);
  });
});
