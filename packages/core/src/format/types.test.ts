import { describe, expect, it } from "vitest";
import { formatProblem } from "./types.js";

describe("formatProblem", () => {
  it("prints file:line:col: message, as editors and CI annotations read it", () => {
    expect(formatProblem({ file: "a/b.yaml", line: 3, col: 7, message: "bad" })).toBe("a/b.yaml:3:7: bad");
  });
});
