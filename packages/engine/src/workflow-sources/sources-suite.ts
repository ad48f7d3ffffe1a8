// biome-ignore-all lint/suspicious/noTemplateCurlyInString: workflows in these tests are full of ${{ }}.
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LocalNotifier } from "../queue/notifier.js";
import { LocalRunner } from "../runners/local/local-runner.js";
import type { ServiceContext } from "../service/context.js";
import { processState } from "../service/process-state.js";
import { SecretBox } from "../service/secret-box.js";
import type { Database } from "../store/database.js";
import { getRun } from "../store/queries/get-run.js";
import { getWorkflow } from "../store/queries/get-workflow.js";
import { claimGitEvent } from "../store/queries/git-event-insert.js";
import { listWorkflows } from "../store/queries/list-workflows.js";
import { listSchedules } from "../store/queries/schedule-list.js";
import { gitRemote, startGitDaemon } from "../testing/git-repos.js";
import { createRunInUnit } from "../testing/operations.js";
import { FAST_WORKER } from "../testing/service-harness.js";
import { tempDir } from "../testing/temp-dir.js";
import { waitFor } from "../testing/wait-for.js";
import { createWorker } from "../worker/create-worker.js";
import type { SourceConfig } from "./config.js";
import { sourcePins } from "./pins.js";
import { SourceSyncer, type SyncerEvent } from "./syncer.js";

const HELLO = "name: hello\nsteps:\n  a:\n    run: echo hi\n";
const GREET_ACTION = "inputs:\n  who: {type: string, default: you}\nruns: {using: bash, script: run.sh}\n";

/** The syncer against real git repositories, on one store (SQLite in the unit project, PostgreSQL in services). */
export function describeSources(label: string, openDatabase: () => Promise<Database>): void {
  describe(`SourceSyncer (real git repositories, ${label})`, () => {
    let tmp: ReturnType<typeof tempDir>;
    let database: Database;
    let ctx: ServiceContext;
    let repo: ReturnType<typeof gitRemote>;
    const syncers: SourceSyncer[] = [];

    beforeEach(async () => {
      tmp = tempDir("gantry-sources-");
      database = await openDatabase();
      ctx = {
        database,
        notifier: new LocalNotifier(),
        box: new SecretBox(randomBytes(32)),
        now: () => Date.now(),
        ...processState(),
      };
      repo = gitRemote(path.join(tmp.dir, "repo"));
    });
    afterEach(async () => {
      for (const s of syncers.splice(0)) await s.stop();
      await ctx.notifier.close();
      await database.close();
      tmp.cleanup();
    });

    const syncer = (overrides: Partial<SourceConfig> = {}, events: SyncerEvent[] = []) => {
      const s = new SourceSyncer(ctx, {
        sources: [{ name: "app", url: repo.url, ref: "main", path: ".gantry", intervalMs: 0, ...overrides }],
        cacheDir: path.join(tmp.dir, "cache"),
        onEvent: (e) => events.push(e),
      });
      syncers.push(s);
      return s;
    };

    it("activates a valid commit: workflows with actions from the repository root, runs record source and commit", async () => {
      repo.write(".gantry/hello.yaml", HELLO);
      repo.write(".gantry/greet.yaml", "steps:\n  g:\n    uses: ./actions/greet\n");
      repo.write("actions/greet/action.yaml", GREET_ACTION);
      repo.write("actions/greet/run.sh", "echo hello $INPUT_WHO\n");
      repo.write("README.md", "not a workflow\n");
      const first = repo.commit("first");
      repo.push();

      const s = syncer();
      const outcome = await s.sync("app");
      expect(outcome).toMatchObject({ state: "ok", activated: true, activeCommit: first, errors: [] });
      expect((await listWorkflows(database.db)).map((w) => [w.name, w.source, w.file])).toEqual([
        ["greet", "git:app", ".gantry/greet.yaml"],
        ["hello", "git:app", ".gantry/hello.yaml"],
      ]);
      const [status] = await s.status();
      expect(status).toMatchObject({
        name: "app",
        state: "ok",
        activeCommit: first,
        seenCommit: first,
        errors: [],
        workflows: ["greet", "hello"],
      });
      expect(status?.lastSyncAt).toBeGreaterThan(0);

      const run = await createRunInUnit(ctx, { workflow: "greet" });
      const row = await getRun(database.db, run.id);
      expect(row).toMatchObject({ source: "app", commit_sha: first });

      // Nothing new: the same commit stays, nothing is re-registered.
      const again = await s.sync("app");
      expect(again).toMatchObject({ state: "ok", activated: false, activeCommit: first });
    });

    it("keeps the last good commit when a new one has an invalid workflow, and shows file:line:col errors", async () => {
      repo.write(".gantry/hello.yaml", HELLO);
      const good = repo.commit("good");
      repo.push();
      const events: SyncerEvent[] = [];
      const s = syncer({}, events);
      await s.sync("app");
      const before = await getWorkflow(database.db, "hello");

      repo.write(".gantry/hello.yaml", `${HELLO}    shell: cobol\n`);
      repo.write(".gantry/new.yaml", HELLO.replace("hello", "new"));
      const bad = repo.commit("bad");
      repo.push();
      const outcome = await s.sync("app");
      expect(outcome.state).toBe("error");
      expect(outcome.activeCommit).toBe(good);
      expect(outcome.errors).toHaveLength(1);
      expect(outcome.errors[0]).toMatch(/^\.gantry\/hello\.yaml:5:12: steps\.a\.shell: .*cobol/);
      // Atomic: neither the changed workflow nor the new valid one was registered.
      expect(await getWorkflow(database.db, "hello")).toEqual(before);
      expect(await getWorkflow(database.db, "new")).toBeUndefined();
      const [status] = await s.status();
      expect(status).toMatchObject({ state: "error", activeCommit: good, seenCommit: bad });
      expect(events.map((e) => e.type)).toEqual(["activated", "invalid"]);

      // Fixing it activates the fix.
      repo.write(".gantry/hello.yaml", HELLO);
      const fixed = repo.commit("fix");
      repo.push();
      expect(await s.sync("app")).toMatchObject({ state: "ok", activeCommit: fixed });
      expect(await getWorkflow(database.db, "new")).toBeDefined();
    });

    it("follows a force-push, removes deleted workflows, and reports a deleted branch", async () => {
      repo.write(".gantry/hello.yaml", HELLO);
      repo.write(".gantry/old.yaml", HELLO.replace("hello", "old"));
      repo.commit("one");
      repo.push("feature");
      const s = syncer({ ref: "feature" });
      await s.sync("app");
      expect((await listWorkflows(database.db)).map((w) => w.name)).toEqual(["hello", "old"]);

      // Rewrite history: a new root commit without old.yaml, force-pushed.
      repo.git("checkout", "--quiet", "--orphan", "rewritten");
      repo.remove(".gantry/old.yaml");
      const rewritten = repo.commit("rewritten");
      repo.push("feature", { force: true });
      expect(await s.sync("app")).toMatchObject({ state: "ok", activeCommit: rewritten });
      expect((await listWorkflows(database.db)).map((w) => w.name)).toEqual(["hello"]);

      repo.git("push", "--quiet", "origin", ":refs/heads/feature");
      const outcome = await s.sync("app");
      expect(outcome).toMatchObject({ state: "error", activeCommit: rewritten });
      expect(outcome.errors[0]).toMatch(
        /ref 'feature' is not a branch, tag or commit of file:\/\/.*\(deleted\?\)/,
      );
      // The last good workflows stay registered and runnable.
      expect(await getWorkflow(database.db, "hello")).toBeDefined();
    });

    it("fires on.push once per commit found by polling, with the paths it changed", async () => {
      repo.write(
        ".gantry/ci.yaml",
        "name: ci\non:\n  push: {branches: [main], paths: ['src/**']}\nsteps:\n  t:\n    run: echo ${{ github.sha }}\n",
      );
      repo.write("src/a.txt", "1\n");
      const first = repo.commit("first");
      repo.push();
      const s = syncer();
      // The first sync loads the source: it is no push.
      expect((await s.sync("app")).runs).toEqual([]);

      repo.write("docs/readme.md", "docs only\n");
      repo.commit("docs");
      repo.push();
      expect((await s.sync("app")).runs).toEqual([]);

      repo.write("src/a.txt", "2\n");
      const second = repo.commit("code");
      repo.push();
      const outcome = await s.sync("app");
      expect(outcome.runs).toHaveLength(1);
      const run = await getRun(database.db, outcome.runs[0]?.id as string);
      const info = JSON.parse(run?.info_json ?? "{}");
      expect(info.github).toMatchObject({ event_name: "push", ref: "refs/heads/main", sha: second });
      expect(info.trigger).toMatchObject({ type: "github", event: "push", delivery: null, after: second });
      expect(run?.commit_sha).toBe(second);
      expect(first).not.toBe(second);

      // A webhook for the same commit arriving later starts nothing: the poller claimed it.
      expect(
        await claimGitEvent(database.db, {
          source: "app",
          ref: "refs/heads/main",
          sha: second,
          seenBy: "webhook",
          now: 1,
        }),
      ).toBe(false);
    });

    it("keeps the scheduler's table in step with the source's schedules", async () => {
      repo.write(
        ".gantry/nightly.yaml",
        "name: nightly\non:\n  schedule: [{cron: '0 3 * * *'}]\nsteps:\n  a:\n    run: echo\n",
      );
      repo.commit("schedule");
      repo.push();
      const s = syncer();
      await s.sync("app");
      expect((await listSchedules(database.db)).map((r) => r.id)).toEqual(["nightly:0"]);
      repo.remove(".gantry/nightly.yaml");
      repo.write(".gantry/hello.yaml", HELLO);
      repo.commit("no schedule");
      repo.push();
      await s.sync("app");
      expect(await listSchedules(database.db)).toEqual([]);
    });

    it("refuses a workflow name another source already registered", async () => {
      repo.write(".gantry/hello.yaml", HELLO);
      repo.commit("one");
      repo.push();
      const s = new SourceSyncer(ctx, {
        sources: [
          { name: "a", url: repo.url, ref: "main", path: ".gantry", intervalMs: 0 },
          { name: "b", url: repo.url, ref: "main", path: ".gantry", intervalMs: 0 },
        ],
        cacheDir: path.join(tmp.dir, "cache"),
      });
      syncers.push(s);
      expect((await s.sync("a")).state).toBe("ok");
      const b = await s.sync("b");
      expect(b.state).toBe("error");
      expect(b.errors[0]).toMatch(
        /^\.gantry\/hello\.yaml:1:1: workflow name 'hello' is already registered from git:a/,
      );
    });

    it("names a missing path and a git error", async () => {
      repo.write("other/hello.yaml", HELLO);
      repo.commit("one");
      repo.push();
      expect((await syncer().sync("app")).errors).toEqual([
        ".gantry:1:1: path '.gantry' does not exist in the repository",
      ]);
      const missing = new SourceSyncer(ctx, {
        sources: [
          { name: "gone", url: `file://${tmp.dir}/nothing.git`, ref: "main", path: "", intervalMs: 0 },
        ],
        cacheDir: path.join(tmp.dir, "cache"),
      });
      const outcome = await missing.sync("gone");
      expect(outcome.state).toBe("error");
      expect(outcome.errors[0]).toMatch(/^file:\/\/.*nothing\.git: git fetch failed: .*/);
    });

    it("resolves library actions (uses: lib/path@ref), pins the commit, and names a bad library, ref or path", async () => {
      const lib = gitRemote(path.join(tmp.dir, "lib"));
      lib.write("deploy/action.yaml", GREET_ACTION);
      lib.write("deploy/run.sh", "echo deploying $INPUT_WHO\n");
      const v1 = lib.commit("v1");
      lib.git("tag", "v1");
      lib.push();
      lib.git("push", "--quiet", "origin", "v1");
      repo.write(".gantry/deploy.yaml", "name: deploy\nsteps:\n  d:\n    uses: infra/deploy@v1\n");
      repo.commit("uses a library");
      repo.push();
      const s = new SourceSyncer(ctx, {
        sources: [{ name: "app", url: repo.url, ref: "main", path: ".gantry", intervalMs: 0 }],
        libraries: [{ name: "infra", url: lib.url }],
        cacheDir: path.join(tmp.dir, "cache"),
      });
      syncers.push(s);
      expect(await s.sync("app")).toMatchObject({ state: "ok", errors: [] });
      const row = await getWorkflow(database.db, "deploy");
      const definition = JSON.parse(row?.definition_json ?? "{}");
      expect(definition.actions.d.pin).toEqual({ library: "infra", path: "deploy", ref: "v1", commit: v1 });

      repo.write(
        ".gantry/deploy.yaml",
        "name: deploy\nsteps:\n  a:\n    uses: nope/deploy@v1\n  b:\n    uses: infra/deploy@v9\n  c:\n    uses: infra/../../x@v1\n",
      );
      repo.commit("bad library uses");
      repo.push();
      const outcome = await s.sync("app");
      expect(outcome.errors).toEqual([
        ".gantry/deploy.yaml:4:11: steps.a.uses: library 'nope' is not configured (libraries are declared in gantry.yaml: infra)",
        expect.stringMatching(
          /^\.gantry\/deploy\.yaml:6:11: steps\.b\.uses: 'v9' is not a branch, tag or commit of library 'infra'/,
        ),
        ".gantry/deploy.yaml:8:11: steps.c.uses: 'infra/../../x@v1' leaves the library",
      ]);
    });

    it("calls a library workflow (uses: lib/path.yaml@ref): pinned at activation, `with:` checked, run as a child", async () => {
      const lib = gitRemote(path.join(tmp.dir, "lib"));
      lib.write("deploy/action.yaml", GREET_ACTION);
      lib.write("deploy/run.sh", 'echo "said=hello $INPUT_WHO" >> "$GANTRY_OUTPUT"\n');
      lib.write(
        "workflows/release.yaml",
        "name: release\ninputs:\n  who: {type: string, required: true}\nsteps:\n  d:\n    uses: ./deploy\n    with: {who: '${{ inputs.who }}'}\noutputs:\n  said: ${{ steps.d.outputs.said }}\n",
      );
      const v1 = lib.commit("v1");
      lib.git("tag", "v1");
      lib.push();
      lib.git("push", "--quiet", "origin", "v1");
      repo.write(
        ".gantry/ship.yaml",
        "name: ship\nsteps:\n  r:\n    uses: infra/workflows/release.yaml@v1\n    with: {who: ada}\noutputs:\n  said: ${{ steps.r.outputs.said }}\n",
      );
      repo.commit("calls a library workflow");
      repo.push();
      const s = new SourceSyncer(ctx, {
        sources: [{ name: "app", url: repo.url, ref: "main", path: ".gantry", intervalMs: 0 }],
        libraries: [{ name: "infra", url: lib.url }],
        cacheDir: path.join(tmp.dir, "cache"),
      });
      syncers.push(s);
      expect(await s.sync("app")).toMatchObject({ state: "ok", errors: [] });
      const pin = { library: "infra", path: "workflows/release.yaml", ref: "v1", commit: v1 };
      expect(await sourcePins(database.db, "app")).toEqual([{ ...pin, workflow: "ship", step: "r" }]);

      // The tag moves; the activated revision keeps the commit it pinned, and its run uses it.
      lib.write("deploy/run.sh", 'echo "said=moved $INPUT_WHO" >> "$GANTRY_OUTPUT"\n');
      lib.commit("v2");
      lib.git("tag", "--force", "v1");
      lib.push();
      lib.git("push", "--quiet", "--force", "origin", "v1");
      const worker = createWorker(ctx, {
        ...FAST_WORKER,
        id: "lib-worker",
        cacheDir: path.join(tmp.dir, "worker-cache"),
        runner: new LocalRunner({ tmpRoot: tmp.dir, killGraceMs: 500 }),
      });
      await worker.start();
      try {
        const run = await createRunInUnit(ctx, { workflow: "ship" });
        const row = await waitFor(
          async () => {
            const r = await getRun(database.db, run.id);
            return r && ["succeeded", "failed"].includes(r.status) ? r : undefined;
          },
          { timeoutMs: 30_000, what: "the run calling a library workflow to end" },
        );
        expect([row.status, row.error]).toEqual(["succeeded", null]);
        expect(JSON.parse(row.outputs_json ?? "{}")).toEqual({ said: "hello ada" });
        const child = await database.db
          .selectFrom("runs")
          .selectAll()
          .where("parent_run_id", "=", run.id)
          .executeTakeFirstOrThrow();
        expect([child.workflow, child.status]).toEqual(["release", "succeeded"]);
      } finally {
        await worker.stop();
      }

      repo.write(
        ".gantry/ship.yaml",
        "name: ship\nsteps:\n  r:\n    uses: infra/workflows/release.yaml@v1\n    with: {whom: ada}\n  m:\n    uses: infra/workflows/none.yaml@v1\n",
      );
      repo.commit("bad library workflow calls");
      repo.push();
      const outcome = await s.sync("app");
      expect(outcome.errors).toEqual([
        ".gantry/ship.yaml:4:11: steps.r.with: workflow 'release' needs input 'who'",
        ".gantry/ship.yaml:5:12: steps.r.with.whom: workflow 'release' has no input 'whom' (inputs: who)",
        expect.stringMatching(
          /^\.gantry\/ship\.yaml:7:11: steps\.m\.uses: no workflow file 'workflows\/none\.yaml' in library 'infra' at v1 \([0-9a-f]{12}\)$/,
        ),
      ]);
    });

    it("polls on its interval and syncs from a git daemon", async () => {
      repo.write(".gantry/hello.yaml", HELLO);
      repo.commit("one");
      repo.push();
      const daemon = await startGitDaemon(path.dirname(repo.remote));
      try {
        const s = syncer({ url: `${daemon.url}/remote.git`, intervalMs: 100 });
        await s.start();
        expect((await s.status())[0]?.state).toBe("ok");
        repo.write(".gantry/two.yaml", HELLO.replace("hello", "two"));
        const second = repo.commit("two");
        repo.push();
        const { waitFor } = await import("../testing/wait-for.js");
        await waitFor(async () => (await s.status())[0]?.activeCommit === second, {
          what: "the poller to activate the second commit",
          timeoutMs: 10_000,
        });
        expect(await getWorkflow(database.db, "two")).toBeDefined();
        await s.stop();
      } finally {
        await daemon.stop();
      }
      expect(existsSync(path.join(tmp.dir, "cache", "repos"))).toBe(true);
    });
  });
}
