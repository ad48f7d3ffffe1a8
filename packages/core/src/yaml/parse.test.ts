import { describe, expect, it } from "vitest";
import { MAX_ALIAS_COUNT, parseYamlFile, positionOfOffset } from "./parse.js";

const text = ["name: demo", "steps:", "  build:", "    run: 'echo hi'", "    needs: [a, b]", ""].join("\n");

describe("parseYamlFile", () => {
  it("parses the value and locates values and keys by path", () => {
    const { source, problems } = parseYamlFile("f.yaml", text);
    expect(problems).toEqual([]);
    expect(source?.value).toEqual({ name: "demo", steps: { build: { run: "echo hi", needs: ["a", "b"] } } });
    expect(source?.locate(["name"])).toEqual({ line: 1, col: 7 });
    expect(source?.locate(["steps", "build"], { key: true })).toEqual({ line: 3, col: 3 });
    expect(source?.locate(["steps", "build", "run"])).toEqual({ line: 4, col: 10 });
    expect(source?.locate(["steps", "build", "needs", 1])).toEqual({ line: 5, col: 16 });
  });

  it("falls back to the nearest existing parent for a path that is not there", () => {
    const { source } = parseYamlFile("f.yaml", text);
    expect(source?.locate(["steps", "build", "missing"])).toEqual(source?.locate(["steps", "build"]));
    expect(source?.locate(["steps", "build", "needs", 9])).toEqual({ line: 5, col: 12 });
  });

  it("gives the raw offset of a scalar: after the quote, and only inline scalars map 1:1", () => {
    const { source } = parseYamlFile("f.yaml", `${text}block: |\n  a\n`);
    const run = source?.scalarAt(["steps", "build", "run"]);
    expect(run?.inline).toBe(true);
    expect(text.slice(run?.offset, (run?.offset ?? 0) + 7)).toBe("echo hi");
    expect(source?.scalarAt(["block"])?.inline).toBe(false);
    expect(source?.scalarAt(["steps"])).toBeUndefined();
  });

  it("reports duplicate keys at the second one", () => {
    expect(parseYamlFile("f.yaml", "a: 1\nb: 2\na: 3\n").problems).toEqual([
      { file: "f.yaml", line: 3, col: 1, message: "duplicate key 'a': a key may appear only once in a map" },
    ]);
  });

  it("reports syntax errors on one line, with a position", () => {
    const { source, problems } = parseYamlFile("f.yaml", "a: [1, 2\nb: 3\n");
    expect(source).toBeUndefined();
    expect(problems.length).toBeGreaterThan(0);
    for (const p of problems) {
      expect(p.message).toMatch(/^YAML: /);
      expect(p.message).not.toContain("\n");
    }
  });

  it("refuses alias expansion beyond the limit", () => {
    const levels = ["l0: &l0 [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 6; i++) {
      const aliases = Array.from({ length: 10 }, () => `*l${i - 1}`);
      levels.push(`l${i}: &l${i} [${aliases.join(", ")}]`);
    }
    const { source, problems } = parseYamlFile("bomb.yaml", levels.join("\n"));
    expect(source).toBeUndefined();
    expect(problems).toEqual([
      {
        file: "bomb.yaml",
        line: 1,
        col: 1,
        message: `too many alias expansions (limit ${MAX_ALIAS_COUNT}): refusing a possible alias bomb`,
      },
    ]);
  });

  it("accepts ordinary aliases", () => {
    const { source, problems } = parseYamlFile("f.yaml", "base: &b {a: 1}\nx: *b\ny: *b\n");
    expect(problems).toEqual([]);
    expect(source?.value).toEqual({ base: { a: 1 }, x: { a: 1 }, y: { a: 1 } });
  });
});

describe("positionOfOffset", () => {
  it("turns an offset into a 1-based line and column", () => {
    expect(positionOfOffset("ab\ncd\n", 0)).toEqual({ line: 1, col: 1 });
    expect(positionOfOffset("ab\ncd\n", 4)).toEqual({ line: 2, col: 2 });
    expect(positionOfOffset("ab\ncd\n", 6)).toEqual({ line: 3, col: 1 });
  });

  it("locates list entries named by a string index, as JSON pointers give them", () => {
    const { source } = parseYamlFile(
      "f.yaml",
      "on:\n  schedule:\n    - {cron: a}\n    - {cron: b, concurrency: x}\n",
    );
    expect(source?.locate(["on", "schedule", "1", "concurrency"])).toEqual({ line: 4, col: 30 });
    expect(source?.locate(["on", "schedule", 1, "concurrency"])).toEqual({ line: 4, col: 30 });
  });
});
