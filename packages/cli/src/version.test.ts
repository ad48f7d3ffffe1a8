import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { bin, repo } from "./testing/gantry-process.js";

describe("gantry --version", () => {
  it("answers from the launcher what the command tree answers: the package's version", () => {
    const { version } = JSON.parse(readFileSync(path.join(repo, "packages/cli/package.json"), "utf8"));
    const fast = spawnSync(process.execPath, [bin, "--version"], { encoding: "utf8" });
    const full = spawnSync(
      process.execPath,
      [path.join(repo, "packages/cli/dist/bundle/gantry.js"), "--version"],
      {
        encoding: "utf8",
      },
    );
    expect(fast.stdout).toBe(`${version}\n`);
    expect(full.stdout).toBe(`${version}\n`);
    expect(fast.status).toBe(0);
  });
});
