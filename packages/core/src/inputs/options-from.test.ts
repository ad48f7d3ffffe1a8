// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the workflows here are full of ${{ }}.
import { describe, expect, it } from "vitest";
import { formatProblem } from "../format/types.js";
import { validateWorkflowText } from "../validate/workflow.js";
import { dependentInputs, selectPath, toOptionList } from "./options-from.js";

const problems = (inputs: string) =>
  validateWorkflowText("wf.yaml", `inputs:\n${inputs}\nsteps:\n  a: {run: "true"}\n`).problems.map(
    formatProblem,
  );

describe("options_from", () => {
  it("accepts the three sources and finds what each depends on", () => {
    const text = `inputs:
  region: {type: choice, options_from: {run: "echo '[\\"eu\\"]'", cache: 10m}}
  host: {type: choice, options_from: {workflow: list-hosts, with: {region: "\${{ inputs.region }}"}}}
  zone: {type: choice, options_from: {http: "http://x/zones?r=\${{ inputs.region }}&h=\${{ inputs.host }}", path: "$.zones[*].id"}}
  disk: {type: choice, options_from: {run: 'ls "/d/$INPUT_ZONE"', depends_on: [zone]}}
steps:
  a: {run: "true"}
`;
    const v = validateWorkflowText("wf.yaml", text);
    expect(v.problems.map(formatProblem)).toEqual([]);
    expect(dependentInputs(v.workflow?.inputs)).toEqual({
      region: [],
      host: ["region"],
      zone: ["region", "host"],
      disk: ["zone"],
    });
  });

  it("refuses expressions in a script, unknown and circular dependencies, two sources, non-choices", () => {
    expect(
      problems(`  a: {type: choice, options_from: {run: 'echo \${{ inputs.b }}'}}\n  b: {type: string}`),
    ).toEqual([
      expect.stringMatching(
        /^wf\.yaml:2:36: inputs\.a\.options_from\.run: no \$\{\{ \}\} in a script's text/,
      ),
    ]);
    expect(problems(`  a: {type: choice, options_from: {http: "http://x/\${{ inputs.nope }}"}}`)).toEqual([
      expect.stringMatching(/inputs\.a\.options_from: depends on unknown input 'nope' \(inputs: a\)/),
    ]);
    expect(
      problems(
        `  a: {type: choice, options_from: {http: "http://x/\${{ inputs.b }}"}}\n  b: {type: choice, options_from: {http: "http://x/\${{ inputs.a }}"}}`,
      ),
    ).toEqual([expect.stringMatching(/options depend on each other in a circle: a -> b -> a/)]);
    expect(problems(`  a: {type: choice, options_from: {run: "x", http: "http://x"}}`)).toEqual([
      expect.stringMatching(/give exactly one of run, workflow, http \(got run, http\)/),
    ]);
    expect(problems(`  a: {type: string, options_from: {run: "x"}}`)).toEqual([
      expect.stringMatching(/only a choice input has options \(type is string\)/),
    ]);
  });

  it("reads lists from JSON paths and in either shape", () => {
    const reply = { Regions: [{ RegionName: "eu-west-1" }, { RegionName: "us-east-1" }] };
    expect(selectPath(reply, "$.Regions[*].RegionName")).toEqual(["eu-west-1", "us-east-1"]);
    expect(selectPath(reply, "$.Regions[1]")).toEqual({ RegionName: "us-east-1" });
    expect(() => selectPath(reply, "$..x")).toThrow(/not a JSON path this supports/);
    expect(toOptionList('["a", {"value": "b", "label": "Bee"}]')).toEqual([
      { value: "a" },
      { value: "b", label: "Bee" },
    ]);
    expect(toOptionList("one\ntwo\n")).toEqual([{ value: "one" }, { value: "two" }]);
    expect(() => toOptionList({ a: 1 })).toThrow(/must be a JSON list/);
  });
});
