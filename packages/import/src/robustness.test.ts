import { describe, expect, it } from "vitest";
import { importFile } from "./convert.js";
import { IMPORT_KINDS } from "./report/report.js";

/** Files of the wrong shape in every place a converter reads: each is reported, none crashes a converter. */
const ODD_FILES = [
  "",
  "---",
  "[]",
  "just text",
  "jobs: 3",
  "jobs: {a: 3}",
  "jobs: {a: {steps: [3, null, {run: 4}, {uses: 3}]}}",
  "on: [push, 3]\njobs: {a: {runs-on: 3, needs: 3, if: 4, env: 3, outputs: 2, strategy: 1}}",
  "runs: {using: composite, steps: [{run: 3}, 4]}",
  "version: 2.1\nworkflows: {a: {jobs: [3, {x: 4}, {y: {requires: 3}}]}}\njobs: {x: {steps: 3}}",
  "version: 2.1\nworkflows: {a: {jobs: [j]}}\njobs: {j: {docker: 3, steps: [{run: 3}, {when: 3}, {unless: {condition: {and: 3}}}]}}",
  "version: 2.1\ncommands: {c: {steps: [c]}}\nworkflows: {a: {jobs: [j]}}\njobs: {j: {steps: [c]}}",
  "kind: CronJob",
  "kind: CronJob\nspec: {schedule: 3, jobTemplate: {spec: {template: {spec: {containers: [3, {env: 3, envFrom: [3]}]}}}}}",
  "kind: List\nitems: [3, {kind: CronJob, metadata: 3}]",
  "- {sequence: {commands: [3, {exec: 3}, {script: 3}, {jobref: 3}, {errorhandler: 3}]}, options: [3, {name: 3}]}",
  "- {options: {a: 3}, schedule: {crontab: 3}, nodefilters: {filter: 3}, notification: {onfailure: 3}}",
  "<joblist><job><schedule><time/></schedule><sequence><command><errorhandler/></command></sequence></job></joblist>",
  "<joblist><job>",
];

describe("files of the wrong shape", () => {
  it.each(IMPORT_KINDS)(
    "are reported by the %s converter, which never throws nor writes an invalid file",
    (kind) => {
      for (const text of ODD_FILES) {
        const report = importFile(kind, "odd.yml", text);
        for (const error of report.errors) {
          expect(error, JSON.stringify(text)).not.toMatch(/does not validate|converter failed/);
          expect(error).toMatch(/^odd\.yml:\d+:\d+: /);
        }
        // A file either converted into something valid or says why not.
        expect(report.outputs.length > 0 || report.errors.length > 0, JSON.stringify(text)).toBe(true);
      }
    },
  );
});
