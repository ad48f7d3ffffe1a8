import { describe, expect, it } from "vitest";
import type { InputSpec } from "../format/types.js";
import { checkValue, coerceInputs } from "./coerce.js";

const one = (spec: InputSpec, raw: unknown) => coerceInputs({ x: spec }, { x: raw });

describe("coerceInputs: strings to types", () => {
  it("reads integers and numbers", () => {
    expect(one({ type: "integer" }, "42").values).toEqual({ x: 42 });
    expect(one({ type: "integer" }, "-3").values).toEqual({ x: -3 });
    expect(one({ type: "number" }, "2.5").values).toEqual({ x: 2.5 });
    expect(one({ type: "integer" }, "2.5").errors).toEqual([
      { field: "x", message: "input 'x': must be an integer, got '2.5'" },
    ]);
    expect(one({ type: "number" }, "abc").errors).toEqual([
      { field: "x", message: "input 'x': must be a number, got 'abc'" },
    ]);
    expect(one({ type: "number" }, " ").errors).toHaveLength(1);
  });

  it("reads booleans as true/false, yes/no and 1/0, in any case", () => {
    for (const t of ["true", "TRUE", "yes", "1"])
      expect(one({ type: "boolean" }, t).values, t).toEqual({ x: true });
    for (const f of ["false", "No", "no", "0"])
      expect(one({ type: "boolean" }, f).values, f).toEqual({ x: false });
    expect(one({ type: "boolean" }, "maybe").errors).toEqual([
      { field: "x", message: "input 'x': must be a boolean (true or false), got 'maybe'" },
    ]);
  });

  it("reads arrays and objects as JSON and checks which one it is", () => {
    expect(one({ type: "array" }, '["a", 1]').values).toEqual({ x: ["a", 1] });
    expect(one({ type: "object" }, '{"k": {"n": 1}}').values).toEqual({ x: { k: { n: 1 } } });
    expect(one({ type: "array" }, "[oops").errors).toEqual([
      { field: "x", message: "input 'x': must be a JSON list written as JSON, got '[oops'" },
    ]);
    expect(one({ type: "array" }, '{"a": 1}').errors).toEqual([
      { field: "x", message: `input 'x': must be a JSON list, got {"a":1}` },
    ]);
    expect(one({ type: "object" }, "[1]").errors[0]?.message).toBe(
      "input 'x': must be a JSON object, got [1]",
    );
  });

  it("matches a choice of numbers given as text to the declared number", () => {
    expect(one({ type: "choice", enum: [1, 2, 3] }, "2").values).toEqual({ x: 2 });
    expect(one({ type: "choice", enum: ["a", "b"] }, "b").values).toEqual({ x: "b" });
    expect(one({ type: "choice", enum: [1, 2, 3] }, "4").errors).toEqual([
      { field: "x", message: `input 'x': "4" is not one of the allowed values: 1, 2, 3` },
    ]);
  });

  it("keeps values that already have a type, and checks them", () => {
    expect(one({ type: "integer" }, 7).values).toEqual({ x: 7 });
    expect(one({ type: "boolean" }, false).values).toEqual({ x: false });
    expect(one({ type: "string" }, 7).errors).toEqual([
      { field: "x", message: "input 'x': must be a string, got 7" },
    ]);
    expect(one({ type: "integer" }, 1.5).errors).toEqual([
      { field: "x", message: "input 'x': must be an integer, got 1.5" },
    ]);
  });
});

describe("coerceInputs: defaults, required and unknown inputs", () => {
  const specs: Record<string, InputSpec> = {
    env: { type: "choice", enum: ["staging", "production"], default: "staging" },
    replicas: { type: "integer", default: 2 },
    tags: { type: "array", default: ["a"] },
    target: { type: "string", required: true },
    level: { type: "choice", enum: ["low", "high"], required: true },
    note: { type: "string" },
  };

  it("applies defaults, and copies them so a run cannot change the spec", () => {
    const { values, errors } = coerceInputs(specs, { target: "t", level: "low" });
    expect(errors).toEqual([]);
    expect(values).toEqual({ env: "staging", replicas: 2, tags: ["a"], target: "t", level: "low" });
    (values.tags as string[]).push("b");
    expect(specs.tags?.default).toEqual(["a"]);
  });

  it("uses the default for null as for a missing value", () => {
    expect(coerceInputs(specs, { target: "t", level: "low", replicas: null }).values.replicas).toBe(2);
  });

  it("reports every missing required input, with the allowed values when there are some", () => {
    expect(coerceInputs(specs, {}).errors).toEqual([
      { field: "target", message: "input 'target' is required" },
      { field: "level", message: `input 'level' is required (one of: "low", "high")` },
    ]);
  });

  it("reports an unknown input with a did-you-mean, or the declared inputs", () => {
    const { errors } = coerceInputs(specs, { target: "t", level: "low", replica: "3", zzzzzzzz: 1 });
    expect(errors).toEqual([
      { field: "replica", message: "unknown input 'replica' (did you mean 'replicas'?)" },
      {
        field: "zzzzzzzz",
        message: "unknown input 'zzzzzzzz' (declared: env, replicas, tags, target, level, note)",
      },
    ]);
    expect(coerceInputs({}, { a: 1 }).errors).toEqual([
      { field: "a", message: "unknown input 'a' (this workflow declares no inputs)" },
    ]);
  });

  it("reports every bad input, not only the first", () => {
    const { errors, values } = coerceInputs(specs, { target: "t", level: "mid", replicas: "many" });
    expect(errors.map((e) => e.field)).toEqual(["replicas", "level"]);
    expect(values).not.toHaveProperty("replicas");
    expect(values).not.toHaveProperty("level");
  });
});

describe("coerceInputs: constraints", () => {
  it("names the field and the bound or the allowed values", () => {
    expect(one({ type: "integer", minimum: 1 }, "0").errors).toEqual([
      { field: "x", message: "input 'x': 0 is less than the minimum 1" },
    ]);
    expect(one({ type: "number", maximum: 10 }, "10.5").errors).toEqual([
      { field: "x", message: "input 'x': 10.5 is more than the maximum 10" },
    ]);
    expect(one({ type: "string", enum: ["eu", "us"] }, "ap").errors).toEqual([
      { field: "x", message: `input 'x': "ap" is not one of the allowed values: "eu", "us"` },
    ]);
    expect(one({ type: "string", pattern: "^v\\d+$" }, "1.0").errors).toEqual([
      { field: "x", message: `input 'x': "1.0" does not match the pattern ^v\\d+$` },
    ]);
    expect(one({ type: "integer", minimum: 1, maximum: 3 }, "3").errors).toEqual([]);
    expect(one({ type: "string", pattern: "^v\\d+$" }, "v12").errors).toEqual([]);
  });

  it("checks array items against the items schema", () => {
    expect(one({ type: "array", items: { type: "string" } }, "[1]").errors).toHaveLength(1);
    expect(one({ type: "array", items: { type: "string" } }, '["a"]').errors).toEqual([]);
  });
});

describe("secret inputs", () => {
  const secret = "hunter2-very-secret";

  it("never show their value in an error message", () => {
    const cases: Array<[InputSpec, unknown]> = [
      [{ type: "secret", pattern: "^x" }, secret],
      [{ type: "secret", enum: ["other"] }, secret],
      [{ type: "secret" }, 12345678],
      [{ type: "secret" }, [secret]],
      [{ type: "secret" }, { token: secret }],
    ];
    for (const [spec, value] of cases) {
      const { errors } = one(spec, value);
      expect(errors, JSON.stringify(spec)).toHaveLength(1);
      expect(errors[0]?.message).not.toContain(secret);
      expect(errors[0]?.message).not.toContain("12345678");
    }
  });

  it("say which type was given instead of the value", () => {
    expect(one({ type: "secret" }, 12345678).errors).toEqual([
      { field: "x", message: "input 'x': must be a string, got a number" },
    ]);
    expect(one({ type: "secret" }, { k: "v" }).errors[0]?.message).toBe(
      "input 'x': must be a string, got a map",
    );
  });

  it("keep their value as given", () => {
    expect(one({ type: "secret" }, secret).values).toEqual({ x: secret });
  });
});

describe("checkValue", () => {
  it("returns undefined for a valid value and the problem otherwise", () => {
    expect(checkValue({ type: "integer", minimum: 0 }, 0)).toBeUndefined();
    expect(checkValue({ type: "integer", minimum: 0 }, -1)).toBe("-1 is less than the minimum 0");
    expect(checkValue({ type: "boolean" }, "true")).toBe(`must be a boolean, got "true"`);
  });
});
