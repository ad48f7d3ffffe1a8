import { describe, expect, it } from "vitest";
import { formatProblem } from "../format/types.js";
import { isSubWorkflowUses, libraryWorkflowUses, subWorkflowName } from "./sub-workflow.js";
import { validateWorkflowText } from "./workflow.js";

describe("sub-workflow uses:", () => {
  it("tells a library workflow (a .yaml file at a ref) from a library action and a same-source workflow", () => {
    expect(libraryWorkflowUses("infra/workflows/release.yaml@v1")).toEqual({
      library: "infra",
      path: "workflows/release.yaml",
      ref: "v1",
    });
    expect(libraryWorkflowUses("infra/release.yml@main")?.path).toBe("release.yml");
    expect(libraryWorkflowUses("infra/deploy@v1")).toBeUndefined();
    expect(libraryWorkflowUses("workflow:deploy")).toBeUndefined();
    expect(subWorkflowName("workflow:deploy")).toBe("deploy");
    expect(["workflow:x", "infra/x.yaml@v1", "infra/x@v1", "./x"].map(isSubWorkflowUses)).toEqual([
      true,
      true,
      false,
      false,
    ]);
  });

  it("gives a library workflow step to the loader, with the shape rules of any sub-workflow step", () => {
    const result = validateWorkflowText(
      "wf.yaml",
      "steps:\n  r:\n    uses: infra/wf/release.yaml@v1\n    secrets: inherit\n    env: {A: b}\n",
    );
    expect(result.uses.map((u) => u.uses)).toEqual(["infra/wf/release.yaml@v1"]);
    expect(result.problems.map(formatProblem)).toEqual([
      "wf.yaml:5:5: steps.r.env: not for a sub-workflow (uses: workflow:…); the called workflow sets its own",
    ]);
  });
});
