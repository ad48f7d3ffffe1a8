import { describe, expect, it } from "vitest";
import { parseExpression } from "./evaluate.js";
import { expressionFacts } from "./references.js";

const facts = (expr: string) => expressionFacts(parseExpression(expr));

describe("expressionFacts", () => {
  it("finds the steps and inputs an expression reads, with their columns", () => {
    expect(facts("steps.build.outputs.image == inputs.target").references).toEqual([
      { context: "steps", name: "build", column: 0 },
      { context: "inputs", name: "target", column: 29 },
    ]);
  });

  it("finds references inside function calls, groupings, negations and index access", () => {
    const refs = facts(
      "!(contains(join(steps.a.outputs.list, ','), inputs['b'])) || steps['c'].result",
    ).references;
    expect(refs.map((r) => `${r.context}.${r.name}`)).toEqual(["steps.a", "inputs.b", "steps.c"]);
  });

  it("reports a context read as a whole without a name, and lower-cases context names", () => {
    expect(facts("toJSON(INPUTS)").references).toEqual([{ context: "inputs", column: 7 }]);
    expect(facts("item").references).toEqual([{ context: "item", column: 0 }]);
    expect(facts("item.name").references).toEqual([{ context: "item", name: "name", column: 0 }]);
  });

  it("notices a status function anywhere in the expression", () => {
    expect(facts("failure()").usesStatusFunction).toBe(true);
    expect(facts("inputs.x && (always() || false)").usesStatusFunction).toBe(true);
    expect(facts("!cancelled()").usesStatusFunction).toBe(true);
    expect(facts("SUCCESS() == true").usesStatusFunction).toBe(true);
    expect(facts("contains(inputs.x, 'failure()')").usesStatusFunction).toBe(false);
    expect(facts("steps.failure.result == 'success'").usesStatusFunction).toBe(false);
  });

  it("finds nothing in a literal", () => {
    expect(facts("'text' == 1")).toEqual({ references: [], usesStatusFunction: false });
  });
});
