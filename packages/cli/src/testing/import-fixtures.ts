import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { repo } from "./gantry-process.js";

/**
 * The real CI files and job exports from public repositories that the import tests convert (see their
 * SOURCES.md). They live in the shared fixtures folder beside the repository, not in it (some carry no
 * licence); GANTRY_IMPORT_FIXTURES points elsewhere. Missing fixtures fail the tests, they never skip.
 */
export function importFixturesDir(): string {
  const candidates = [
    process.env.GANTRY_IMPORT_FIXTURES,
    path.join(repo, "..", "shared", "fixtures", "import"),
    path.join(repo, "..", "..", "shared", "fixtures", "import"),
  ].filter((d): d is string => d !== undefined);
  const found = candidates.find((d) => existsSync(path.join(d, "SOURCES.md")));
  if (!found) {
    throw new Error(
      `no import fixtures (SOURCES.md) in ${candidates.join(" or ")}: set GANTRY_IMPORT_FIXTURES`,
    );
  }
  return found;
}

/** The fixture files of one kind, by file name. */
export function importFixtures(kind: string): string[] {
  const dir = path.join(importFixturesDir(), kind);
  return readdirSync(dir)
    .sort()
    .map((f) => path.join(dir, f));
}
