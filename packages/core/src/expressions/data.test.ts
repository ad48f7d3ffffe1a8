import { describe, expect, it } from "vitest";
import { fromExpressionData, interpolationString, toExpressionData, truthy } from "./data.js";

describe("toExpressionData and fromExpressionData", () => {
  it("round-trip JSON-like values", () => {
    const value = { s: "x", n: 1.5, b: false, z: null, list: [1, "two", [true]], map: { deep: { k: "v" } } };
    expect(fromExpressionData(toExpressionData(value))).toEqual(value);
  });

  it("turns undefined into null", () => {
    expect(fromExpressionData(toExpressionData(undefined))).toBeNull();
    expect(fromExpressionData(toExpressionData({ a: undefined }))).toEqual({ a: null });
  });
});

describe("interpolationString", () => {
  it("writes scalars as text, null as nothing, lists and maps as JSON", () => {
    expect(interpolationString("text")).toBe("text");
    expect(interpolationString(3)).toBe("3");
    expect(interpolationString(false)).toBe("false");
    expect(interpolationString(null)).toBe("");
    expect(interpolationString(undefined)).toBe("");
    expect(interpolationString([1, "a"])).toBe('[1,"a"]');
    expect(interpolationString({ a: 1 })).toBe('{"a":1}');
  });
});

describe("truthy", () => {
  it("follows GitHub: false, 0, -0, '', null and NaN are falsy", () => {
    for (const v of [false, 0, -0, "", null, undefined, Number.NaN]) expect(truthy(v), String(v)).toBe(false);
  });

  it("counts everything else as truthy, empty lists and maps and '0' included", () => {
    for (const v of [true, 1, -1, "0", "false", " ", [], {}]) expect(truthy(v), JSON.stringify(v)).toBe(true);
  });
});
