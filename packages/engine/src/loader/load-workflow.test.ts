import { execFileSync } from "node:child_process";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { tempDir } from "../testing/temp-dir.js";
import { loadWorkflow } from "./load-workflow.js";
import { repositoryRoot } from "./repository-root.js";

describe("loadWorkflow", () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => tmp.cleanup());

  const action = "inputs:\n  who: {type: string, default: you}\nruns: {using: bash, script: run.sh}\n";

  it("resolves uses: ./path from the root of the git repository", async () => {
    execFileSync("git", ["init", "-q", tmp.dir]);
    tmp.write("tools/greet/action.yaml", action);
    tmp.write("tools/greet/run.sh", "echo hi\n");
    const file = tmp.write("flows/deep/wf.yaml", "steps:\n  a:\n    uses: ./tools/greet\n");
    expect(repositoryRoot(file)).toBe(tmp.dir);
    const { loaded, problems } = await loadWorkflow(file);
    expect(problems).toEqual([]);
    expect(loaded?.actions.a?.dir).toBe(`${tmp.dir}/tools/greet`);
  });

  it("resolves uses: ./path from the workflow's folder outside git", async () => {
    tmp.write("flows/greet/action.yaml", action);
    tmp.write("flows/greet/run.sh", "echo hi\n");
    const file = tmp.write("flows/wf.yaml", "steps:\n  a:\n    uses: ./greet\n");
    const { loaded, problems } = await loadWorkflow(file);
    expect(problems).toEqual([]);
    expect(loaded?.root).toBe(`${tmp.dir}/flows`);
  });

  it("refuses a uses: path that leaves the root", async () => {
    tmp.write("outside/action.yaml", action);
    const file = tmp.write("repo/wf.yaml", "steps:\n  a:\n    uses: ../outside\n");
    const { loaded, problems } = await loadWorkflow(file);
    expect(loaded).toBeUndefined();
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ line: 3, col: 11 });
    expect(problems[0]?.message).toMatch(/'\.\.\/outside' leaves the repository root/);
  });

  it("reports a missing action folder and a missing script with positions", async () => {
    tmp.write("noscript/action.yaml", "runs:\n  using: bash\n  script: missing.sh\n");
    const file = tmp.write("wf.yaml", "steps:\n  a:\n    uses: ./nothere\n  b:\n    uses: ./noscript\n");
    const { problems } = await loadWorkflow(file);
    const messages = problems.map((p) => `${p.file.split("/").pop()}:${p.line}:${p.col}: ${p.message}`);
    expect(messages).toContainEqual(
      expect.stringMatching(/^wf\.yaml:3:11: steps\.a\.uses: no action\.yaml in '\.\/nothere'/),
    );
    expect(messages).toContainEqual(
      expect.stringMatching(/^action\.yaml:3:11: runs\.script: 'missing\.sh' does not exist/),
    );
  });

  it("reports an action's problems once however many steps use it", async () => {
    tmp.write("bad/action.yaml", "runs: {using: cobol, run: x}\n");
    const file = tmp.write("wf.yaml", "steps:\n  a:\n    uses: ./bad\n  b:\n    uses: ./bad\n");
    const { problems } = await loadWorkflow(file);
    expect(problems.filter((p) => p.message.includes("cobol"))).toHaveLength(1);
  });

  it("says which library is unknown", async () => {
    const file = tmp.write("wf.yaml", "steps:\n  a:\n    uses: infra/helm-deploy@v1.2\n");
    const { problems } = await loadWorkflow(file);
    expect(problems[0]?.message).toMatch(/library 'infra' is not configured/);
  });

  it("names a missing workflow file", async () => {
    const { problems } = await loadWorkflow(`${tmp.dir}/nope.yaml`);
    expect(problems[0]?.message).toBe("file not found");
  });
});
