import { describe, expect, it } from "vitest";
import { guessImportKind } from "./import-kind";

describe("guessImportKind", () => {
  it.each([
    ["<joblist><job/></joblist>", "jobs.txt", "rundeck"],
    ["anything", "Deploy.xml", "rundeck"],
    ["- defaultTab: output\n  name: x\n  sequence:\n    commands: []\n", "jobs.yaml", "rundeck"],
    ["---\napiVersion: batch/v1\nkind: CronJob\n", "cron.yaml", "cronjob"],
    ["version: 2.1\norbs: {}\njobs: {}\nworkflows: {}\n", "config.yml", "circleci"],
    ["name: CI\non: [push]\njobs:\n  a: {}\n", "ci.yml", "github-actions"],
    ["name: x\nruns:\n  using: composite\n", "action.yml", "github-actions"],
  ])("reads %j (%s) as %s", (text, name, kind) => {
    expect(guessImportKind(text, name)).toBe(kind);
  });

  it("says nothing when unsure", () => {
    expect(guessImportKind("hello: world\n", "x.yaml")).toBeUndefined();
  });
});
