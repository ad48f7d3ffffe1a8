import { writeFileSync } from "node:fs";
import path from "node:path";
import { formatProblem } from "@gantry/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadWorkflow } from "../loader/load-workflow.js";
import { tempDir } from "../testing/temp-dir.js";
import { subWorkflowProblems } from "./check.js";

describe("sub-workflow checks across a folder", () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir("gantry-subcheck-");
  });
  afterEach(() => tmp.cleanup());

  async function check(files: Record<string, string>) {
    const loaded = [];
    for (const [name, text] of Object.entries(files)) {
      const file = path.join(tmp.dir, name);
      writeFileSync(file, text);
      const result = await loadWorkflow(file);
      expect(result.problems.map(formatProblem)).toEqual([]);
      loaded.push({ name: name.replace(".yaml", ""), file, workflow: result.loaded?.workflow as never });
    }
    return (await subWorkflowProblems(loaded)).map(
      (p) => `${path.basename(p.file)}:${p.line}:${p.col}: ${p.message}`,
    );
  }

  it("finds unknown workflows, unknown and missing inputs, and recursion", async () => {
    const child = "inputs:\n  service: {type: string, required: true}\nsteps:\n  a: {run: 'true'}\n";
    expect(
      await check({
        "child.yaml": child,
        "parent.yaml":
          "steps:\n  a:\n    uses: workflow:child\n    with: {servise: x}\n  b:\n    uses: workflow:nope\n",
      }),
    ).toEqual([
      "parent.yaml:4:12: steps.a.with.servise: workflow 'child' has no input 'servise' (inputs: service)",
      "parent.yaml:3:11: steps.a.with: workflow 'child' needs input 'service'",
      "parent.yaml:6:11: steps.b.uses: no workflow 'nope' in the same source (workflows: child, parent)",
    ]);
    expect(
      await check({
        "ping.yaml": "steps:\n  a: {uses: 'workflow:pong'}\n",
        "pong.yaml": "steps:\n  a: {uses: 'workflow:ping'}\n",
      }),
    ).toEqual([
      "ping.yaml:2:13: sub-workflows call each other in a circle: ping -> pong -> ping (a run of it would never end)",
    ]);
  });
});
