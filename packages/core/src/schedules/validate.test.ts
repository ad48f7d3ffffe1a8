import { describe, expect, it } from "vitest";
import { validateWorkflowText } from "../validate/workflow.js";

function problems(name: string, text: string) {
  return validateWorkflowText(name, text).problems.map((p) => `${p.line}:${p.col}: ${p.message}`);
}

describe("on.schedule validation (file:line:col)", () => {
  it("accepts a list of entries or a single one, with every option", () => {
    const list = validateWorkflowText(
      "ok.yaml",
      `name: ok
inputs:
  env: {type: string, required: true}
on:
  schedule:
    - cron: "30 2 * * *"
      name: nightly
      timezone: Europe/Berlin
      inputs: {env: staging}
      concurrency: forbid
      starting_deadline: 10m
      catch_up: all
      suspend: true
    - {cron: "@hourly", inputs: {env: prod}}
    - {cron: "*/10 * * * * *", inputs: {env: x}, concurrency: replace, catch_up: none, starting_deadline: 30}
steps:
  a: {run: "true"}
`,
    );
    expect(list.problems).toEqual([]);
    const single = validateWorkflowText(
      "single.yaml",
      'name: single\non:\n  schedule: {cron: "0 3 * * *"}\nsteps:\n  a: {run: "true"}\n',
    );
    expect(single.problems).toEqual([]);
  });

  it("reports an invalid cron expression or time zone at its value", () => {
    expect(
      problems(
        "bad.yaml",
        `name: bad
on:
  schedule:
    - cron: "61 * * * *"
    - cron: "0 3 * * *"
      timezone: Europe/Berln
    - {cron: "every day"}
steps:
  a: {run: "true"}
`,
      ),
    ).toEqual([
      "4:13: on.schedule.0.cron: cron '61 * * * *': Invalid value for minute: 61",
      "6:17: on.schedule.1.timezone: timezone 'Europe/Berln' is not an IANA time zone (such as UTC, Europe/Berlin, America/New_York)",
      "7:14: on.schedule.2.cron: cron 'every day': not a cron expression: give 5 fields (minute hour day-of-month month day-of-week), 6 with seconds first, or @yearly, @monthly, @weekly, @daily, @hourly",
    ]);
    // A bad time zone does not hide a bad expression in the same entry.
    expect(
      problems(
        "both.yaml",
        'name: both\non:\n  schedule: {cron: "0 25 * * *", timezone: Mars/Olympus}\nsteps:\n  a: {run: "true"}\n',
      ),
    ).toEqual([
      "3:20: on.schedule.cron: cron '0 25 * * *': Invalid value for hour: 25",
      "3:44: on.schedule.timezone: timezone 'Mars/Olympus' is not an IANA time zone (such as UTC, Europe/Berlin, America/New_York)",
    ]);
    expect(
      problems("one.yaml", 'name: one\non:\n  schedule: {cron: "0 25 * * *"}\nsteps:\n  a: {run: "true"}\n'),
    ).toEqual(["3:20: on.schedule.cron: cron '0 25 * * *': Invalid value for hour: 25"]);
  });

  it("checks the entry's inputs against the workflow's, and that names are unique", () => {
    expect(
      problems(
        "inputs.yaml",
        `name: inputs
inputs:
  env: {type: string, required: true}
  replicas: {type: integer, default: 1}
on:
  schedule:
    - {cron: "0 3 * * *", name: a, inputs: {env: staging, replicas: many}}
    - {cron: "0 4 * * *", name: a}
steps:
  a: {run: "true"}
`,
      ),
    ).toEqual([
      "7:69: on.schedule.0.inputs: input 'replicas': must be an integer, got 'many'",
      "8:7: on.schedule.1.inputs: input 'env' is required",
      "8:33: on.schedule.1.name: 'a' already names on.schedule.0",
    ]);
  });

  it("the JSON Schema checks each entry's keys and values", () => {
    const found = problems(
      "schema.yaml",
      `name: schema
on:
  schedule:
    cron: "0 3 * * *"
    concurrency: sometimes
    catchup: all
steps:
  a: {run: "true"}
`,
    );
    expect(found).toEqual([
      '5:18: on.schedule.concurrency: \'sometimes\' is not allowed; allowed values: "allow", "forbid", "replace"',
      "6:5: on.schedule: unknown key 'catchup' (did you mean 'catch_up'?)",
    ]);
  });

  it("come from validateWorkflowText with the file's other problems, each at file:line:col", () => {
    const text =
      'name: nightly\non:\n  schedule: {cron: "0 3 * * *", timezone: Moon/Base}\nsteps:\n  a: {run: "true"}\n';
    const validation = validateWorkflowText("flows/nightly.yaml", text);
    expect(validation.workflow).toBeUndefined();
    expect(validation.problems).toEqual([
      {
        file: "flows/nightly.yaml",
        line: 3,
        col: 43,
        message:
          "on.schedule.timezone: timezone 'Moon/Base' is not an IANA time zone (such as UTC, Europe/Berlin, America/New_York)",
      },
    ]);
  });
});
