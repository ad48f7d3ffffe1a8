import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { formatProblem, validateActionText } from "@gantry/core";
import { afterAll, describe, expect, it } from "vitest";
import { builtinActionDir, builtinActionNames } from "../git/builtin-actions.js";
import { tempDir } from "../testing/temp-dir.js";

const repo = fileURLToPath(new URL("../../../../", import.meta.url));
const tmp = tempDir("gantry-builtins-");
afterAll(() => tmp.cleanup());

describe("the built-in actions", () => {
  it("ship the files of packages/engine/src/actions as they are now", () => {
    // Fails when a file there changed without `node scripts/embed-actions.mjs` (npm run build runs it).
    execFileSync(process.execPath, [path.join(repo, "scripts/embed-actions.mjs"), "--check"], {
      stdio: "pipe",
    });
  });

  it("are valid actions, each with its program, the shared helpers and the checkout script", async () => {
    expect(builtinActionNames()).toEqual(
      expect.arrayContaining(["checkout", "ansible-playbook", "terraform"]),
    );
    for (const name of ["ansible-playbook", "terraform"]) {
      const dir = (await builtinActionDir(name, tmp.dir)) as string;
      const file = path.join(dir, "action.yaml");
      expect(validateActionText(file, readFileSync(file, "utf8")).problems.map(formatProblem)).toEqual([]);
      for (const part of ["main.cjs", "step.cjs", "checkout.sh"]) {
        expect(readFileSync(path.join(dir, part), "utf8").length, `${name}/${part}`).toBeGreaterThan(100);
      }
    }
  });
});
