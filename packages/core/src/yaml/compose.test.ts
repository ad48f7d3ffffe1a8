import { describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { type ComposeOptions, composeInParts, STEPS_PER_PART } from "./compose.js";
import { locatedNode } from "./located.js";
import { parseYamlFile } from "./parse.js";

const OPTIONS: ComposeOptions = { uniqueKeys: false, prettyErrors: false, strict: true };
const TO_JS = { maxAliasCount: 100 };

/** What the library gives for the whole file. */
function whole(text: string) {
  const doc = parseDocument(text, OPTIONS);
  expect(doc.errors).toEqual([]);
  return { value: doc.toJS(TO_JS), located: locatedNode(doc.contents) };
}

/** The step ids in order (toEqual does not compare the order of keys). */
function stepIds(value: unknown): string[] {
  return Object.keys((value as { steps: object }).steps);
}

const SAMPLES: Record<string, string> = {
  plain:
    "name: w\nsteps:\n  a:\n    run: echo a\n  b:\n    run: echo b\n  c:\n    run: echo c\n  d: {run: 'echo d'}\n",
  "comments and blank lines": [
    "# head",
    "name: w # trailing",
    "steps: # the steps",
    "  # before a",
    "  a:",
    "    run: |",
    "      echo a",
    "",
    "      echo more",
    "",
    "  # between",
    "  b:",
    '    run: "echo b"',
    "    # inside",
    "  c: null",
    "  d:",
    "  e:",
    "    needs: [a, b]",
    "    env: {X: 'from a'}",
    "# after steps",
    "on:",
    "  manual: {}",
    "",
  ].join("\n"),
  "keys of every kind": [
    "steps:",
    "  1:",
    "    run: one",
    '  "quoted key":',
    "    run: two",
    "  __proto__:",
    "    run: three",
    "  true: {run: four}",
    "  ? explicit",
    "  : {run: five}",
    "  last:",
    "    steps:",
    "      - run: inner",
    "      - {run: inner2}",
  ].join("\n"),
  "steps first, at an indent of four":
    "steps:\n    a:\n        run: x\n    b:\n        run: y\n    c: {}\n    d: []\nname: w\n",
  "merge key inside a step":
    "steps:\n  a:\n    <<: {run: x}\n    env: {A: 1}\n  b:\n    run: y\n  c:\n    run: z\n",
};

describe("composeInParts", () => {
  for (const [name, text] of Object.entries(SAMPLES)) {
    it(`gives the library's values and positions, in parts of any size: ${name}`, () => {
      const expected = whole(text);
      for (const size of [1, 2, 3, STEPS_PER_PART]) {
        const composed = composeInParts(text, OPTIONS, TO_JS, size);
        expect(composed, `parts of ${size}`).toBeDefined();
        expect(composed?.value, `parts of ${size}`).toEqual(expected.value);
        expect(stepIds(composed?.value)).toEqual(stepIds(expected.value));
        expect(composed?.located, `parts of ${size}`).toEqual(expected.located);
        if (size < 3) expect(composed?.heldSteps).toBeLessThanOrEqual(size + 1);
      }
    });
  }

  it("keeps no more than one part of a large steps: map in the syntax tree at once", () => {
    const lines = ["name: wide", "steps:"];
    for (let i = 0; i < 5 * STEPS_PER_PART; i++) lines.push(`  s${i}:`, `    run: echo ${i}`);
    const composed = composeInParts(`${lines.join("\n")}\n`, OPTIONS, TO_JS);
    expect(composed?.heldSteps).toBeLessThanOrEqual(STEPS_PER_PART + 1);
    expect(stepIds(composed?.value)).toHaveLength(5 * STEPS_PER_PART);
  });

  it.each([
    [
      "an alias, which may point into another part",
      "x: &x {run: a}\nsteps:\n  a: *x\n  b: {run: b}\n  c: {run: c}\n",
    ],
    ["a directive", "%YAML 1.1\n---\nsteps:\n  a: {run: yes}\n  b: {run: b}\n  c: {run: c}\n"],
    ["a second document", "steps:\n  a: {run: a}\n  b: {run: b}\n---\nsteps: {}\n"],
    ["a syntax error in a part", "steps:\n  a: {run: [a}\n  b: {run: b}\n  c: {run: c}\n"],
    ["a syntax error in the rest", "name: [w\nsteps:\n  a: {run: a}\n  b: {run: b}\n  c: {run: c}\n"],
    [
      "a step key repeated in another part",
      "steps:\n  a: {run: a}\n  b: {run: b}\n  a: {run: c}\n  d: {run: d}\n",
    ],
    ["a repeated key inside a step", "steps:\n  a: {run: a, run: b}\n  b: {run: b}\n  c: {run: c}\n"],
    [
      "a merge key among the steps",
      "steps:\n  a: {run: a}\n  <<: {b: {run: b}}\n  c: {run: c}\n  d: {run: d}\n",
    ],
  ])("leaves a file with %s to be read whole", (_name, text) => {
    expect(composeInParts(text, OPTIONS, TO_JS, 1)).toBeUndefined();
  });
});

describe("parseYamlFile of a workflow larger than a part", () => {
  const steps = 3 * STEPS_PER_PART + 7;
  const lines = ["name: wide", "steps:"];
  for (let i = 0; i < steps; i++) lines.push(`  s${i}:`, `    run: 'echo ${i}'`);
  const text = `${lines.join("\n")}\n`;

  it("locates keys and values in every part and scalars inside their quotes", () => {
    const { source, problems } = parseYamlFile("wide.yaml", text);
    expect(problems).toEqual([]);
    for (const i of [0, STEPS_PER_PART - 1, STEPS_PER_PART, 2 * STEPS_PER_PART + 1, steps - 1]) {
      expect(source?.locate(["steps", `s${i}`], { key: true })).toEqual({ line: 3 + 2 * i, col: 3 });
      expect(source?.locate(["steps", `s${i}`, "run"])).toEqual({ line: 4 + 2 * i, col: 10 });
      const scalar = source?.scalarAt(["steps", `s${i}`, "run"]);
      expect(text.slice(scalar?.offset, (scalar?.offset ?? 0) + 4)).toBe("echo");
    }
    expect(source?.locate(["steps"])).toEqual({ line: 3, col: 3 });
  });

  it("reports a repeated step key where the library finds it, however far apart the two are", () => {
    const repeated = `${text}  s1:\n    run: again\n`;
    expect(parseYamlFile("wide.yaml", repeated).problems).toEqual([
      {
        file: "wide.yaml",
        line: 3 + 2 * steps,
        col: 3,
        message: "duplicate key 's1': a key may appear only once in a map",
      },
    ]);
  });
});
