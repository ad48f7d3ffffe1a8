// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the tests are full of workflow expressions
import { describe, expect, it } from "vitest";
import { findExpressions, wholeExpression } from "./template.js";

describe("findExpressions", () => {
  it("finds each expression with its bounds and the offset of its inside", () => {
    const text = "a ${{ inputs.x }} b ${{1}}";
    const found = findExpressions(text);
    expect(found).toEqual([
      { start: 2, end: 17, expr: " inputs.x ", exprStart: 5 },
      { start: 20, end: 26, expr: "1", exprStart: 23 },
    ]);
    for (const f of found) expect(text.slice(f.start, f.end)).toBe(`\${{${f.expr}}}`);
  });

  it("does not end an expression at '}}' inside a string literal", () => {
    const text = "x ${{ format('}}{0}', 'y') }} z";
    const [found] = findExpressions(text);
    expect(found?.expr).toBe(" format('}}{0}', 'y') ");
    expect(found?.end).toBe(text.length - 2);
  });

  it("keeps track of escaped quotes ('') inside string literals", () => {
    const [found] = findExpressions("${{ 'it''s }}' }} tail");
    expect(found?.expr).toBe(" 'it''s }}' ");
  });

  it("returns an unterminated expression with end -1 and stops there", () => {
    const found = findExpressions("ok ${{ 1 }} then ${{ inputs.x and more");
    expect(found).toHaveLength(2);
    expect(found[1]).toMatchObject({ start: 17, end: -1, expr: " inputs.x and more" });
  });

  it("finds nothing in plain text", () => {
    expect(findExpressions("no expressions, just {{ braces }} and $HOME")).toEqual([]);
  });
});

describe("wholeExpression", () => {
  it("accepts a string that is exactly one expression, around whitespace", () => {
    expect(wholeExpression("${{ inputs.n }}")?.expr).toBe(" inputs.n ");
    expect(wholeExpression("  ${{ inputs.n }}\n")?.expr).toBe(" inputs.n ");
  });

  it("rejects text around the expression, or two expressions", () => {
    expect(wholeExpression("n=${{ inputs.n }}")).toBeUndefined();
    expect(wholeExpression("${{ inputs.n }}!")).toBeUndefined();
    expect(wholeExpression("${{ 1 }}${{ 2 }}")).toBeUndefined();
    expect(wholeExpression("${{ 1 ")).toBeUndefined();
  });
});
