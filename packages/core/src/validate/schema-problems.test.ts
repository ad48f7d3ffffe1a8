import { describe, expect, it } from "vitest";
import { describePath, describeValue, pointerToPath } from "./schema-problems.js";

describe("pointerToPath and describePath", () => {
  it("splits a JSON pointer and unescapes ~1 and ~0", () => {
    expect(pointerToPath("")).toEqual([]);
    expect(pointerToPath("/steps/a~1b/with/c~0d")).toEqual(["steps", "a/b", "with", "c~d"]);
    expect(describePath([])).toBe("(top level)");
    expect(describePath(["steps", "a", 0])).toBe("steps.a.0");
  });
});

describe("describeValue", () => {
  it("names a value for a message", () => {
    expect(describeValue(null)).toBe("nothing");
    expect(describeValue([1])).toBe("a list");
    expect(describeValue({})).toBe("a map");
    expect(describeValue("x")).toBe("'x'");
    expect(describeValue(true)).toBe("boolean true");
    expect(describeValue(3)).toBe("number 3");
  });
});
