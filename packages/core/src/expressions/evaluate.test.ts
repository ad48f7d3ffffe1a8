// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the tests are full of workflow expressions
import { describe, expect, it } from "vitest";
import {
  type EvaluationContext,
  ExpressionEvaluationFailure,
  ExpressionSyntaxError,
  evaluateExpression,
  evaluateTemplate,
  hasExpression,
  parseExpression,
} from "./evaluate.js";

const ctx: EvaluationContext = {
  contexts: {
    inputs: { n: 3, ratio: 0.5, name: "ada", on: true, list: ["a", "b"], map: { k: "v", n: 1 }, empty: "" },
    steps: { build: { outputs: { image: "app:1", json: '{"x":[1,2]}' }, result: "success" } },
    env: { HOME_DIR: "/home/ada" },
  },
};
const ev = (expr: string, c: EvaluationContext = ctx) => evaluateExpression(expr, c);
const tpl = (value: unknown, c: EvaluationContext = ctx) => evaluateTemplate(value, c);

describe("evaluateTemplate", () => {
  it("keeps the type of a whole-value expression", () => {
    expect(tpl("${{ inputs.n }}")).toBe(3);
    expect(tpl("${{ inputs.ratio }}")).toBe(0.5);
    expect(tpl("${{ inputs.on }}")).toBe(true);
    expect(tpl("${{ inputs.n > 5 }}")).toBe(false);
    expect(tpl("${{ inputs.list }}")).toEqual(["a", "b"]);
    expect(tpl("${{ inputs.map }}")).toEqual({ k: "v", n: 1 });
    expect(tpl(" ${{ fromJSON(steps.build.outputs.json) }} ")).toEqual({ x: [1, 2] });
    expect(tpl("${{ inputs.missing }}")).toBeNull();
  });

  it("interpolates inside a longer string, lists and maps as JSON", () => {
    expect(tpl("n=${{ inputs.n }} on=${{ inputs.on }}")).toBe("n=3 on=true");
    expect(tpl("list=${{ inputs.list }}")).toBe('list=["a","b"]');
    expect(tpl("map=${{ inputs.map }}")).toBe('map={"k":"v","n":1}');
    expect(tpl("[${{ inputs.missing }}]")).toBe("[]");
    expect(tpl("${{ inputs.name }}-${{ inputs.n }}")).toBe("ada-3");
  });

  it("evaluates lists and maps member by member and leaves other values alone", () => {
    expect(tpl({ a: "${{ inputs.n }}", b: ["${{ inputs.name }}", 4], c: { d: "x${{ 1 }}" } })).toEqual({
      a: 3,
      b: ["ada", 4],
      c: { d: "x1" },
    });
    expect(tpl(42)).toBe(42);
    expect(tpl(null)).toBeNull();
    expect(tpl("plain")).toBe("plain");
  });

  it("fails on an unterminated expression inside a string", () => {
    expect(() => tpl("a ${{ inputs.n")).toThrow(ExpressionEvaluationFailure);
  });
});

describe("functions", () => {
  it("has GitHub's functions", () => {
    expect(ev("contains('hello', 'ELL')")).toBe(true);
    expect(ev("contains(inputs.list, 'b')")).toBe(true);
    expect(ev("contains(inputs.list, 'z')")).toBe(false);
    expect(ev("startsWith(inputs.name, 'AD')")).toBe(true);
    expect(ev("endsWith(inputs.name, 'x')")).toBe(false);
    expect(ev("format('{0}:{1}', inputs.name, inputs.n)")).toBe("ada:3");
    expect(ev("join(inputs.list, '+')")).toBe("a+b");
    expect(JSON.parse(ev("toJSON(inputs.map)") as string)).toEqual({ k: "v", n: 1 });
    expect(ev("fromJSON('[1, true, null]')")).toEqual([1, true, null]);
    expect(ev("fromJSON('12')")).toBe(12);
  });

  it("answers status functions from the flags it is given, and defaults to a healthy run", () => {
    expect([ev("success()"), ev("failure()"), ev("cancelled()"), ev("always()")]).toEqual([
      true,
      false,
      false,
      true,
    ]);
    const failed: EvaluationContext = { ...ctx, status: { success: false, failure: true, cancelled: false } };
    expect([ev("success()", failed), ev("failure()", failed), ev("always()", failed)]).toEqual([
      false,
      true,
      true,
    ]);
    const cancelled: EvaluationContext = {
      ...ctx,
      status: { success: false, failure: false, cancelled: true },
    };
    expect(ev("cancelled()", cancelled)).toBe(true);
  });

  it("answers hashFiles() from the evaluation's reader, with every pattern as a string", () => {
    const asked: string[][] = [];
    const reading: EvaluationContext = {
      ...ctx,
      hashFiles: (patterns) => {
        asked.push(patterns);
        return patterns.length === 0 ? "" : "ab12";
      },
    };
    expect(ev("format('deps-{0}', hashFiles('**/package-lock.json', inputs.name, 3))", reading)).toBe(
      "deps-ab12",
    );
    expect(ev("HASHFILES('x') != ''", reading)).toBe(true);
    expect(asked).toEqual([["**/package-lock.json", "ada", "3"], ["x"]]);
    expect(() => parseExpression("hashFiles()")).toThrow(ExpressionSyntaxError);
    // Without a workspace to read (a DAG node, the workflow's outputs) it says where it works.
    expect(() => ev("hashFiles('a')")).toThrow(
      /hashFiles\(\) reads the workspace, which exists only for the steps of a job/,
    );
  });

  it("reports an evaluation error with the expression", () => {
    expect(() => ev("fromJSON('{')")).toThrow(ExpressionEvaluationFailure);
    expect(() => ev("fromJSON('{')")).toThrow(/^\$\{\{fromJSON\('\{'\)\}\}: /);
  });
});

describe("operators and truthiness", () => {
  it("compares loosely and case-insensitively as GitHub does", () => {
    expect(ev("inputs.n == '3'")).toBe(true);
    expect(ev("inputs.name == 'ADA'")).toBe(true);
    expect(ev("inputs.n != 3")).toBe(false);
  });

  it("returns the deciding operand of && and ||, with GitHub's falsy values", () => {
    expect(ev("inputs.empty || 'fallback'")).toBe("fallback");
    expect(ev("0 || 'zero is falsy'")).toBe("zero is falsy");
    expect(ev("inputs.missing || 'null is falsy'")).toBe("null is falsy");
    expect(ev("inputs.list && 'a list is truthy'")).toBe("a list is truthy");
    expect(ev("inputs.map && 'a map is truthy'")).toBe("a map is truthy");
    expect(ev("!inputs.empty")).toBe(true);
  });

  it("reads context names case-insensitively", () => {
    expect(ev("INPUTS.NAME")).toBe("ada");
    expect(ev("steps.build.outputs.image")).toBe("app:1");
  });
});

describe("parseExpression", () => {
  it("throws ExpressionSyntaxError with the column of the problem", () => {
    const cases: Array<[string, number]> = [
      ["inputs.n ==== 1", 11],
      ["inputs.n &&& 1", 11],
      ["1 + 2", 2],
      ["inputs.n == 'open", 12],
      ["nope.x", 0],
      ["fromJSON(", 8],
    ];
    for (const [expr, column] of cases) {
      let caught: unknown;
      try {
        parseExpression(expr);
      } catch (error) {
        caught = error;
      }
      expect(caught, expr).toBeInstanceOf(ExpressionSyntaxError);
      expect((caught as ExpressionSyntaxError).column, expr).toBe(column);
    }
  });

  it("rejects unknown functions and wrong argument counts", () => {
    expect(() => parseExpression("nosuch(1)")).toThrow(ExpressionSyntaxError);
    expect(() => parseExpression("always(1)")).toThrow(ExpressionSyntaxError);
    expect(() => parseExpression("contains('a')")).toThrow(ExpressionSyntaxError);
  });

  it("returns the same tree for the same text", () => {
    expect(parseExpression("inputs.n == 1 && true")).toBe(parseExpression("inputs.n == 1 && true"));
  });
});

describe("hasExpression", () => {
  it("is true only for a string holding ${{", () => {
    expect(hasExpression("a ${{ 1 }}")).toBe(true);
    expect(hasExpression("a { b }")).toBe(false);
    expect(hasExpression(["${{ 1 }}"])).toBe(false);
  });
});
