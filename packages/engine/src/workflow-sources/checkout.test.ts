import { cpSync, existsSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUILTIN_USES, builtinActionDir } from "../git/builtin-actions.js";
import { loadWorkflow } from "../loader/load-workflow.js";
import { LocalLogArchive } from "../logs/local-archive.js";
import { getWorkflow } from "../store/queries/get-workflow.js";
import { sqliteDatabase } from "../testing/databases.js";
import { gitRemote } from "../testing/git-repos.js";
import { createRunInUnit } from "../testing/operations.js";
import { type Harness, openHarness } from "../testing/service-harness.js";
import { withCheckoutDefaults } from "./checkout-defaults.js";
import { SourceSyncer } from "./syncer.js";

const EXAMPLES = new URL("../../../../examples/", import.meta.url).pathname;

describe("gantry/checkout", () => {
  it("is a built-in action folder, written once, that the loader resolves", async () => {
    expect(BUILTIN_USES.test("gantry/checkout")).toBe(true);
    expect(BUILTIN_USES.test("gantry/checkout@v1")).toBe(false);
    const dir = await builtinActionDir("checkout");
    expect(dir && existsSync(path.join(dir, "checkout.sh"))).toBe(true);
    expect(await builtinActionDir("checkout")).toBe(dir);
    expect(await builtinActionDir("nope")).toBeUndefined();

    const result = await loadWorkflow(path.join(EXAMPLES, "node-ci.yaml"));
    expect(result.problems).toEqual([]);
    expect(result.loaded?.actions["test.steps.0"]?.spec.name).toBe("checkout");
  });

  it("fills the source's URL, commit and credential references in, unless the step names its own repository", () => {
    const workflow = {
      steps: {
        a: { uses: "gantry/checkout", with: { run: "make" } },
        b: { uses: "gantry/checkout", with: { repository: "https://other.example/x.git" } },
        c: { run: "echo" },
      },
    };
    const out = withCheckoutDefaults(
      workflow,
      {
        url: "https://bot:hunter2@git.example/app.git",
        credentials: { token: "ref+env://GIT_TOKEN", ssh_key: "literal key is never copied" },
      },
      "a".repeat(40),
    );
    expect(out.steps.a?.with).toEqual({
      repository: "https://git.example/app.git",
      token: "ref+env://GIT_TOKEN",
      ref: `\${{ github.sha || '${"a".repeat(40)}' }}`,
      run: "make",
    });
    expect(out.steps.b?.with).toEqual({ repository: "https://other.example/x.git" });
    expect(out.steps.c).toBe(workflow.steps.c);
  });

  it("fills them in for the built-in actions that check out first, under their git_ names", () => {
    const out = withCheckoutDefaults(
      {
        steps: {
          plan: { uses: "gantry/terraform", with: { dir: "infra" } },
          play: { uses: "gantry/ansible-playbook" },
        },
      },
      {
        url: "ssh://git@git.example/infra.git",
        credentials: { ssh_key: "ref+file:///keys/deploy", username: "bot", token: "ref+env://T" },
      },
      "b".repeat(40),
    );
    const expected = {
      // The ssh user stays: it is no secret, and the server needs it.
      repository: "ssh://git@git.example/infra.git",
      git_token: "ref+env://T",
      git_username: "bot",
      git_ssh_key: "ref+file:///keys/deploy",
      ref: `\${{ github.sha || '${"b".repeat(40)}' }}`,
    };
    expect(out.steps.plan?.with).toEqual({ ...expected, dir: "infra" });
    expect(out.steps.play?.with).toEqual(expected);
  });
});

describe("examples/node-ci.yaml from a git source (real repository, real runs)", () => {
  let h: Harness;
  let repo: ReturnType<typeof gitRemote>;
  let syncer: SourceSyncer;

  beforeAll(async () => {
    process.env.GANTRY_TEST_CHECKOUT_TOKEN = "token-that-file-urls-ignore";
    h = await openHarness(await sqliteDatabase());
    repo = gitRemote(path.join(h.tmp.dir, "repo"));
    cpSync(path.join(EXAMPLES, "node-ci.yaml"), path.join(repo.work, "examples/node-ci.yaml"));
    cpSync(path.join(EXAMPLES, "node-app"), path.join(repo.work, "examples/node-app"), { recursive: true });
    repo.commit("the app and its CI");
    repo.push();
    syncer = new SourceSyncer(h.ctx, {
      sources: [
        {
          name: "app",
          url: repo.url,
          ref: "main",
          path: "examples",
          intervalMs: 0,
          credentials: { token: "ref+env://GANTRY_TEST_CHECKOUT_TOKEN" },
        },
      ],
      cacheDir: path.join(h.tmp.dir, "git"),
    });
    expect(await syncer.sync("app")).toMatchObject({ state: "ok", activated: true });
    // The example's build job keeps a cache and an artifact: the worker has a store for them.
    await h.worker({
      files: { objects: new LocalLogArchive(path.join(h.tmp.dir, "objects")), workspaceRoot: h.tmp.dir },
    });
  });
  afterAll(async () => {
    await syncer.stop();
    await h.close();
  });

  it("a push builds and tests the pushed commit; a push that breaks a test fails the run", async () => {
    const row = await getWorkflow(h.database.db, "node-ci");
    const definition = await h.ctx.definitions.at(h.database.db, row?.revision as string);
    expect(definition.workflow.steps.test?.steps?.[0]?.with).toMatchObject({
      repository: repo.url,
      token: "ref+env://GANTRY_TEST_CHECKOUT_TOKEN",
    });

    repo.write("examples/node-app/README.md", "# the app\n");
    const good = repo.commit("docs");
    repo.push();
    const pushed = await syncer.sync("app");
    expect(pushed.runs).toHaveLength(1);
    const run = await h.waitForRun(pushed.runs[0]?.id as string, ["succeeded", "failed"], 60_000);
    expect(run.status).toBe("succeeded");
    const outputs = JSON.parse(run.outputs_json ?? "{}");
    expect(outputs.commit).toBe(good);
    expect(Number(outputs.bytes)).toBeGreaterThan(100);
    // The test job ran once per time zone, each leg in one workspace: checked out once, then tested.
    expect(outputs.tested_in).toEqual({ UTC: "UTC", "Pacific/Auckland": "Pacific/Auckland" });
    const legs = JSON.parse(run.state_json).steps.test.items;
    expect(legs.map((l: { name: string }) => l.name)).toEqual(["UTC", "Pacific/Auckland"]);
    expect(legs[0].steps.map((s: { name: string; status: string }) => `${s.name}: ${s.status}`)).toEqual([
      "Use gantry/checkout: succeeded",
      "Test: succeeded",
    ]);

    repo.write(
      "examples/node-app/src/greet.js",
      'export function greet(name) {\n  return "Goodbye, " + name;\n}\n',
    );
    repo.commit("break it");
    repo.push();
    const broken = await syncer.sync("app");
    const failed = await h.waitForRun(broken.runs[0]?.id as string, ["succeeded", "failed"], 60_000);
    expect(failed.status).toBe("failed");
    const state = JSON.parse(failed.state_json);
    expect(state.steps.test.result).toBe("failure");
    expect(state.steps.build.result).toBe("success");
    // Only the reference is stored; the token itself is resolved by the worker for the step.
    expect(JSON.stringify(await h.database.db.selectFrom("runs").selectAll().execute())).not.toContain(
      "token-that-file-urls-ignore",
    );
  });

  it("checks out github.sha when the event names one (a pull request's head), else the source's commit", async () => {
    repo.git("checkout", "--quiet", "-b", "feature");
    repo.write("examples/node-app/FEATURE", "1\n");
    const feature = repo.commit("feature");
    repo.push("feature");
    repo.git("checkout", "--quiet", "main");

    const pr = await createRunInUnit(h.ctx, {
      workflow: "node-ci",
      github: { event_name: "pull_request", sha: feature },
    });
    const prRun = await h.waitForRun(pr.id, ["succeeded", "failed"], 60_000);
    expect(JSON.parse(prRun.outputs_json ?? "{}").commit).toBe(feature);

    const manual = await createRunInUnit(h.ctx, { workflow: "node-ci" });
    const manualRun = await h.waitForRun(manual.id, ["succeeded", "failed"], 60_000);
    expect(manualRun.commit_sha).toBeTruthy();
    // The test step fails at main's head (the broken commit), but build checks out and reports it.
    const state = JSON.parse(manualRun.state_json);
    expect(state.steps.build.outputs.commit).toBe(manualRun.commit_sha);
  });
});
