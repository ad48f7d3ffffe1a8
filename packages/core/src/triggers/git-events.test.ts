import { describe, expect, it } from "vitest";
import { formatProblem } from "../format/types.js";
import { validateWorkflowText } from "../validate/workflow.js";
import { filterPatternRegExp, includedBy } from "./filter-pattern.js";
import {
  gitFilterProblems,
  githubContext,
  pullRequestMatches,
  pushMatches,
  pushPayloadPaths,
} from "./git-events.js";

describe("filter patterns (GitHub's cheat sheet)", () => {
  const cases: [string, string, boolean][] = [
    ["feature/*", "feature/my-branch", true],
    ["feature/*", "feature/your/branch", false],
    ["feature/**", "feature/your/branch", true],
    ["main", "main", true],
    ["main", "mains", false],
    ["v2*", "v2.0.0", true],
    ["v[12].[0-9]+.[0-9]+", "v1.10.1", true],
    ["v[12].[0-9]+.[0-9]+", "v3.0.0", false],
    ["releases/**-alpha", "releases/beta/3-alpha", true],
    ["*.js", "app.js", true],
    ["*.js", "js/index.js", false],
    ["**.js", "js/index.js", true],
    ["**/README.md", "README.md", true],
    ["**/README.md", "docs/README.md", true],
    ["docs/**", "docs/a/b.md", true],
    ["*feature", "mona-feature", true],
    ["ver?", "ve", true],
    ["ver?", "ver", true],
    ["ver?", "verr", false],
    ["a\\*b", "a*b", true],
    ["a\\*b", "axb", false],
  ];
  it.each(cases)("%s ~ %s = %s", (pattern, value, expected) => {
    expect(filterPatternRegExp(pattern).test(value)).toBe(expected);
  });

  it("lets the last matching pattern decide, ! excluding", () => {
    const list = ["releases/**", "!releases/**-alpha"];
    expect(includedBy(list, "releases/10")).toBe(true);
    expect(includedBy(list, "releases/10-alpha")).toBe(false);
    expect(includedBy(["!main"], "main")).toBe(false);
  });
});

describe("pushMatches", () => {
  it("runs on every push without filters", () => {
    expect(pushMatches(null, { ref: "refs/heads/x" })).toBe(true);
    expect(pushMatches({}, { ref: "refs/tags/v1" })).toBe(true);
  });
  it("does not run for a deleted branch or tag", () => {
    expect(pushMatches(null, { ref: "refs/heads/x", deleted: true })).toBe(false);
  });
  it("with only branch filters ignores tags, and the reverse", () => {
    expect(pushMatches({ branches: ["main"] }, { ref: "refs/tags/v1" })).toBe(false);
    expect(pushMatches({ branches: ["main"] }, { ref: "refs/heads/main" })).toBe(true);
    expect(pushMatches({ branches: ["main"] }, { ref: "refs/heads/dev" })).toBe(false);
    expect(pushMatches({ tags: ["v*"] }, { ref: "refs/heads/main" })).toBe(false);
    expect(pushMatches({ tags: ["v*"] }, { ref: "refs/tags/v1.2" })).toBe(true);
    expect(pushMatches({ "tags-ignore": ["v*"] }, { ref: "refs/tags/v1.2" })).toBe(false);
    expect(pushMatches({ branches: ["main"], tags: ["v*"] }, { ref: "refs/tags/v1" })).toBe(true);
  });
  it("applies branches-ignore", () => {
    expect(
      pushMatches({ "branches-ignore": ["dependabot/**"] }, { ref: "refs/heads/dependabot/npm/x" }),
    ).toBe(false);
    expect(pushMatches({ "branches-ignore": ["dependabot/**"] }, { ref: "refs/heads/main" })).toBe(true);
  });
  it("needs one changed path included by paths, or one not ignored by paths-ignore", () => {
    const ref = "refs/heads/main";
    expect(pushMatches({ paths: ["src/**"] }, { ref, changedPaths: ["README.md", "src/a.ts"] })).toBe(true);
    expect(pushMatches({ paths: ["src/**"] }, { ref, changedPaths: ["README.md"] })).toBe(false);
    expect(pushMatches({ paths: ["src/**", "!src/**/*.md"] }, { ref, changedPaths: ["src/x.md"] })).toBe(
      false,
    );
    expect(pushMatches({ "paths-ignore": ["docs/**"] }, { ref, changedPaths: ["docs/a.md"] })).toBe(false);
    expect(pushMatches({ "paths-ignore": ["docs/**"] }, { ref, changedPaths: ["docs/a.md", "x"] })).toBe(
      true,
    );
    // Unknown changes do not hold a run back; tags ignore paths.
    expect(pushMatches({ paths: ["src/**"] }, { ref })).toBe(true);
    expect(pushMatches({ paths: ["src/**"] }, { ref: "refs/tags/v1", changedPaths: [] })).toBe(true);
  });
});

describe("pullRequestMatches", () => {
  it("defaults to opened, synchronize and reopened", () => {
    expect(pullRequestMatches(null, { action: "opened", baseRef: "main" })).toBe(true);
    expect(pullRequestMatches(null, { action: "closed", baseRef: "main" })).toBe(false);
    expect(pullRequestMatches({ types: ["closed"] }, { action: "closed", baseRef: "main" })).toBe(true);
  });
  it("filters the base branch and paths", () => {
    expect(pullRequestMatches({ branches: ["master"] }, { action: "opened", baseRef: "master" })).toBe(true);
    expect(pullRequestMatches({ branches: ["main"] }, { action: "opened", baseRef: "master" })).toBe(false);
    expect(
      pullRequestMatches({ paths: ["src/**"] }, { action: "synchronize", baseRef: "m", changedPaths: ["a"] }),
    ).toBe(false);
  });
});

describe("githubContext", () => {
  it("reads a push payload", () => {
    const payload = {
      ref: "refs/heads/main",
      after: "abc",
      base_ref: null,
      repository: {
        full_name: "acme/app",
        owner: { login: "acme" },
        html_url: "https://github.com/acme/app",
      },
      sender: { login: "octo" },
      commits: [
        { added: ["a"], modified: ["b"], removed: [] },
        { added: [], modified: ["b", "c"], removed: ["d"] },
      ],
    };
    expect(githubContext("push", payload)).toMatchObject({
      event_name: "push",
      ref: "refs/heads/main",
      ref_name: "main",
      ref_type: "branch",
      sha: "abc",
      repository: "acme/app",
      repository_owner: "acme",
      actor: "octo",
      head_ref: "",
      server_url: "https://github.com",
    });
    expect(pushPayloadPaths(payload)?.sort()).toEqual(["a", "b", "c", "d"]);
  });
  it("reads a pull_request payload", () => {
    const payload = {
      action: "opened",
      number: 2,
      pull_request: { head: { ref: "feature", sha: "h" }, base: { ref: "main", sha: "b" } },
      repository: { full_name: "acme/app" },
      sender: { login: "octo" },
    };
    expect(githubContext("pull_request", payload)).toMatchObject({
      ref: "refs/pull/2/merge",
      sha: "h",
      head_ref: "feature",
      base_ref: "main",
    });
  });
  it("refuses a list with its -ignore list", () => {
    expect(gitFilterProblems("push", { branches: ["a"], "branches-ignore": ["b"] })).toHaveLength(1);
    expect(gitFilterProblems("pull_request", { paths: ["a"] })).toEqual([]);
  });
});

describe("on.push / on.pull_request in a workflow file", () => {
  const check = (on: string) =>
    validateWorkflowText("wf.yaml", `on:\n${on}\nsteps:\n  a:\n    run: echo\n`).problems.map(formatProblem);
  it("accepts GitHub's filters", () => {
    expect(
      check("  push: {branches: [main], paths: ['src/**']}\n  pull_request: {types: [opened, closed]}"),
    ).toEqual([]);
    expect(check("  push:\n  pull_request:")).toEqual([]);
  });
  it("names a list used with its -ignore list, an unknown filter and an unknown type", () => {
    expect(check("  push: {branches: [main], branches-ignore: [dev]}")).toEqual([
      "wf.yaml:2:28: on.push: use either branches or branches-ignore, not both (exclude with '!pattern' in branches)",
    ]);
    expect(check("  push: {branch: [main]}")[0]).toMatch(/^wf\.yaml:2:10: .*branch/);
    expect(check("  pull_request: {types: [opend]}")[0]).toMatch(/^wf\.yaml:2:26: .*opened/);
  });
});
