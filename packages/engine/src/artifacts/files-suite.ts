import { createHash } from "node:crypto";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { readLogLines } from "../logs/reader.js";
import type { LogArchiveLike } from "../logs/types.js";
import { registerFolder } from "../service/register-folder.js";
import { applyRetention } from "../service/retention.js";
import type { Database } from "../store/database.js";
import { listArtifacts } from "../store/queries/artifacts.js";
import { cachesByUse } from "../store/queries/caches.js";
import { getRun } from "../store/queries/get-run.js";
import { listStepSummaries } from "../store/queries/step-summaries.js";
import { createRunInUnit } from "../testing/operations.js";
import { type Harness, openHarness, runView } from "../testing/service-harness.js";
import type { FilesLimits } from "./context.js";

const WORKFLOWS: Record<string, string> = {
  "build.yaml": `
name: build
steps:
  make:
    uses: gantry/upload-artifact
    with:
      name: dist
      path: |
        dist/
        notes/*.md
        !dist/skip.tmp
      retention_days: 7
      run: |
        mkdir -p dist/sub notes
        echo "app v1" > dist/app.js
        echo "nested" > dist/sub/deep.txt
        echo "temp" > dist/skip.tmp
        echo "# notes" > notes/a.md
        echo "not me" > other.txt
  use:
    needs: make
    uses: gantry/download-artifact
    with:
      name: dist
      path: got
      run: |
        cat got/dist/app.js got/dist/sub/deep.txt got/notes/a.md
        [ ! -e got/dist/skip.tmp ] && [ ! -e got/other.txt ]
        echo "content=$(cat got/dist/app.js)" >> "$GANTRY_OUTPUT"
outputs:
  content: \${{ steps.use.outputs.content }}
  sha: \${{ steps.use.outputs.sha256 }}
`,
  "consume.yaml": `
name: consume
inputs:
  run_id: { type: string, default: "" }
steps:
  fetch:
    uses: gantry/download-artifact
    with:
      name: dist
      run_id: \${{ inputs.run_id }}
      workflow: \${{ inputs.run_id == '' && 'build' || '' }}
      branch: \${{ inputs.run_id == '' && 'main' || '' }}
      run: echo "from=$(cat dist/app.js)" >> "$GANTRY_OUTPUT"
outputs:
  from: \${{ steps.fetch.outputs.from }}
  run: \${{ steps.fetch.outputs.run_id }}
`,
  "empty.yaml": `
name: empty
inputs:
  policy: { type: string, default: error }
steps:
  up:
    uses: gantry/upload-artifact
    with: { name: nothing, path: "missing/**", if_no_files_found: "\${{ inputs.policy }}" }
`,
  "escape.yaml": `
name: escape
steps:
  up:
    uses: gantry/upload-artifact
    with: { name: out, path: "../../etc/passwd" }
`,
  "big.yaml": `
name: big
steps:
  up:
    uses: gantry/upload-artifact
    with:
      name: big
      path: big.bin
      run: head -c 200000 /dev/zero > big.bin
`,
  "cached.yaml": `
name: cached
inputs:
  key: { type: string, required: true }
  value: { type: string, default: "" }
steps:
  deps:
    uses: gantry/cache
    with:
      key: \${{ inputs.key }}
      restore_keys: |
        deps-
      path: vendor
      run: |
        if [ -f vendor/lib.txt ]; then echo "found=$(cat vendor/lib.txt)" >> "$GANTRY_OUTPUT"; fi
        mkdir -p vendor
        echo "\${{ inputs.value }}" > vendor/lib.txt
        head -c 30000 /dev/urandom > vendor/blob.bin
outputs:
  hit: \${{ steps.deps.outputs.cache_hit }}
  matched: \${{ steps.deps.outputs.matched_key }}
  found: \${{ steps.deps.outputs.found }}
`,
  "jobbed.yaml": `
name: jobbed
inputs:
  key: { type: string, required: true }
  fail: { type: boolean, default: false }
steps:
  build:
    steps:
      - id: deps
        uses: gantry/cache
        with: { key: "\${{ inputs.key }}", path: vendor }
      - id: make
        run: |
          if [ -f vendor/lib.txt ]; then echo "found=$(cat vendor/lib.txt)" >> "$GANTRY_OUTPUT"; fi
          mkdir -p vendor dist
          echo "lib of \${{ inputs.key }}" > vendor/lib.txt
          echo "app" > dist/app.js
          echo "## Built" >> "$GANTRY_STEP_SUMMARY"
      - id: up
        uses: gantry/upload-artifact
        with: { name: dist, path: dist/ }
      - run: echo "- tested" >> "$GITHUB_STEP_SUMMARY"
      - if: \${{ inputs.fail }}
        run: exit 1
    outputs:
      hit: \${{ steps.deps.outputs.cache_hit }}
      found: \${{ steps.make.outputs.found }}
      files: \${{ steps.up.outputs.files }}
  use:
    needs: build
    steps:
      - uses: gantry/download-artifact
        with: { name: dist, path: got }
      - id: read
        run: echo "content=$(cat got/dist/app.js)" >> "$GANTRY_OUTPUT"
    outputs:
      content: \${{ steps.read.outputs.content }}
outputs:
  hit: \${{ steps.build.outputs.hit }}
  found: \${{ steps.build.outputs.found }}
  files: \${{ steps.build.outputs.files }}
  content: \${{ steps.use.outputs.content }}
`,
};

const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("hex");

const push = (branch: string) => ({
  event_name: "push",
  ref: `refs/heads/${branch}`,
  ref_name: branch,
  repository: "acme/app",
  head_ref: "",
  base_ref: "",
  event: { repository: { default_branch: "main" } },
});
const pullRequest = (number: number, head: string) => ({
  event_name: "pull_request",
  ref: `refs/pull/${number}/merge`,
  repository: "acme/app",
  head_ref: head,
  base_ref: "main",
  event: { number, repository: { default_branch: "main" } },
});

/**
 * Artifacts and caches through real workers, on each store: `files.test.ts` (SQLite, a local folder),
 * `files.services.test.ts` (PostgreSQL, s3rver, and two workers that never share a folder).
 */
export function describeFiles(
  name: string,
  open: () => Promise<Database>,
  objects: () => Promise<{ store: LogArchiveLike; stop(): Promise<void> }>,
): void {
  describe(`artifacts and caches on ${name}`, () => {
    let h: Harness;
    let store: { store: LogArchiveLike; stop(): Promise<void> };
    const worker = (labels: string[] = [], limits: Partial<FilesLimits> = {}) =>
      h.worker({ labels, files: { objects: store.store, limits, workspaceRoot: h.tmp.dir } });

    beforeAll(async () => {
      h = await openHarness(await open());
      store = await objects();
      for (const [file, text] of Object.entries(WORKFLOWS)) h.tmp.write(`wf/${file}`, text);
      const { problems } = await registerFolder(h.ctx, path.join(h.tmp.dir, "wf"));
      expect(problems).toEqual([]);
    });
    afterAll(async () => {
      await h?.close();
      await store?.stop();
    });
    afterEach(async () => {
      await h.stopWorkers();
    });

    const finish = async (
      workflow: string,
      inputs: Record<string, unknown> = {},
      github?: Record<string, unknown>,
    ) => {
      const { id } = await createRunInUnit(h.ctx, { workflow, inputs, ...(github ? { github } : {}) });
      const row = await h.waitForRun(id, ["succeeded", "failed"], 60_000);
      return { id, row, view: runView(row) };
    };
    const stepError = async (id: string) =>
      (await h.attempts(id)).map((a) => a.error).find((e) => e !== null) ?? undefined;

    it("uploads the files a step made and another step downloads them, checked by SHA-256", async () => {
      await worker();
      const { id, row, view } = await finish("build", {}, push("main"));
      expect(row.status, await stepError(id)).toBe("succeeded");
      expect(view.outputs?.content).toBe("app v1");
      const [artifact] = await listArtifacts(h.database.db, id);
      expect(artifact).toMatchObject({
        name: "dist",
        step: "make",
        files: 3,
        branch: "main",
        workflow: "build",
      });
      const body = await store.store.open(artifact!.object_key);
      const chunks: Buffer[] = [];
      for await (const chunk of body!) chunks.push(chunk as Buffer);
      const bytes = Buffer.concat(chunks);
      expect(Number(artifact!.size)).toBe(bytes.length);
      expect(artifact!.sha256).toBe(sha256(bytes));
      expect(view.outputs?.sha).toBe(artifact!.sha256);
      expect(Number(artifact!.expires_at) - Number(artifact!.created_at)).toBe(7 * 86_400_000);

      // Another workflow takes it from that run by id, and from the newest succeeded run of build on main.
      const byId = await finish("consume", { run_id: id });
      expect(byId.row.status, await stepError(byId.id)).toBe("succeeded");
      expect(byId.view.outputs).toEqual({ from: "app v1", run: id });
      const latest = await finish("consume", {});
      expect(latest.row.status, await stepError(latest.id)).toBe("succeeded");
      expect(latest.view.outputs?.run).toBe(id);
    });

    it("deletes an artifact, object included, once its retention_days are over", async () => {
      await worker();
      const { id, row } = await finish("build", {}, push("main"));
      expect(row.status).toBe("succeeded");
      const [artifact] = await listArtifacts(h.database.db, id);
      const later = (days: number) => ({ ...h.ctx, now: () => Date.now() + days * 86_400_000 });
      await applyRetention(later(6), store.store, {});
      expect(await listArtifacts(h.database.db, id)).toHaveLength(1);
      await applyRetention(later(8), store.store, {});
      expect(await listArtifacts(h.database.db, id)).toEqual([]);
      expect(await store.store.open(artifact!.object_key)).toBeUndefined();
    });

    it("fails a step whose paths match nothing (unless told to warn), leave the workspace, or pass the size limit", async () => {
      await worker([], { artifactBytes: 100_000 });
      const empty = await finish("empty");
      expect(empty.row.status).toBe("failed");
      expect(await stepError(empty.id)).toMatch(
        /gantry\/upload-artifact: with.path: no files match 'missing\/\*\*'/,
      );
      const warned = await finish("empty", { policy: "warn" });
      expect(warned.row.status).toBe("succeeded");
      expect(await listArtifacts(h.database.db, warned.id)).toEqual([]);
      const outside = await finish("escape");
      expect(outside.row.status).toBe("failed");
      expect(await stepError(outside.id)).toMatch(/leaves the workspace/);
      const big = await finish("big");
      expect(big.row.status).toBe("failed");
      expect(await stepError(big.id)).toMatch(
        /more than the limit of 97 KiB|more than the limit of 100000 bytes/,
      );
      expect(await listArtifacts(h.database.db, big.id)).toEqual([]);
    });

    it("caches by key: a miss saves, a hit restores; restore_keys match a prefix; scoped like GitHub's", async () => {
      await worker();
      const first = await finish("cached", { key: "deps-1", value: "one" }, push("main"));
      expect(first.row.status, await stepError(first.id)).toBe("succeeded");
      expect(first.view.outputs).toMatchObject({ hit: "false", matched: "" });
      expect(first.view.outputs?.found ?? "").toBe("");

      const again = await finish("cached", { key: "deps-1", value: "ignored" }, push("main"));
      expect(again.view.outputs).toMatchObject({ hit: "true", matched: "deps-1", found: "one" });

      // A feature branch reads main's entries; a new key restores the newest deps- entry and is saved.
      const feature = await finish("cached", { key: "deps-2", value: "two" }, push("feature"));
      expect(feature.view.outputs).toMatchObject({ hit: "false", matched: "deps-1", found: "one" });
      const entries = await cachesByUse(h.database.db, "repo:acme/app");
      expect(entries.map((e) => [e.scope, e.key]).sort()).toEqual([
        ["branch:feature", "deps-2"],
        ["branch:main", "deps-1"],
      ]);

      // A pull request reads main's, writes only its own scope; main never sees it.
      const pr = await finish("cached", { key: "deps-pr", value: "from-pr" }, pullRequest(7, "fork-branch"));
      expect(pr.view.outputs).toMatchObject({ hit: "false", matched: "deps-1", found: "one" });
      expect(
        (await cachesByUse(h.database.db, "repo:acme/app")).find((e) => e.key === "deps-pr")?.scope,
      ).toBe("pr:7");
      const mainAfter = await finish("cached", { key: "deps-pr", value: "x" }, push("main"));
      expect(mainAfter.view.outputs).toMatchObject({ hit: "false", matched: "deps-1" });
    });

    it("evicts the least recently used entries beyond the namespace's budget", async () => {
      // Each entry is about 30 KB of random bytes: a budget of 70 KB holds two.
      await worker([], { cacheTotalBytes: 70_000 });
      const github = { ...push("main"), repository: "acme/lru" };
      for (const key of ["lru-a", "lru-b"]) await finish("cached", { key, value: key }, github);
      // Using a makes b the least recently used.
      expect((await finish("cached", { key: "lru-a" }, github)).view.outputs?.hit).toBe("true");
      await finish("cached", { key: "lru-c", value: "c" }, github);
      const left = (await cachesByUse(h.database.db, "repo:acme/lru")).map((e) => e.key).sort();
      expect(left).toEqual(["lru-a", "lru-c"]);
    });

    it("runs artifact, cache and summary steps inside jobs: restore in place, save at the job's end", async () => {
      await worker();
      const github = { ...push("main"), repository: "acme/jobs" };
      const first = await finish("jobbed", { key: "job-1" }, github);
      expect(first.row.status, await stepError(first.id)).toBe("succeeded");
      expect(first.view.outputs).toEqual({ hit: "false", found: null, files: "1", content: "app" });
      const [artifact] = await listArtifacts(h.database.db, first.id);
      expect(artifact).toMatchObject({ name: "dist", step: "build.steps[2]", files: 1 });
      // The job's summary is its steps', in order, as GitHub shows a job's.
      const summaries = await listStepSummaries(h.database.db, first.id);
      expect(summaries.map((s) => [s.step, s.markdown])).toEqual([["build", "## Built\n- tested\n"]]);
      expect((await cachesByUse(h.database.db, "repo:acme/jobs")).map((e) => e.key)).toEqual(["job-1"]);

      const again = await finish("jobbed", { key: "job-1" }, github);
      expect(again.view.outputs).toMatchObject({ hit: "true", found: "lib of job-1", content: "app" });

      // A job that fails after the cache step saves nothing: its files may be half made.
      const failed = await finish("jobbed", { key: "job-2", fail: true }, github);
      expect(failed.row.status).toBe("failed");
      expect((await cachesByUse(h.database.db, "repo:acme/jobs")).map((e) => e.key)).toEqual(["job-1"]);
      const lines = await readLogLines(h.database.db, store.store, failed.id);
      expect(lines.filter((l) => l.step === "build").map((l) => l.text)).toContain(
        "gantry/cache: the job did not succeed, so the cache is not saved",
      );
    });

    it("moves files between workers that share no folder", async () => {
      // The uploading step runs only where `up` is, the downloading one only where `down` is.
      h.tmp.write(
        "wf2/split.yaml",
        `
name: split
steps:
  make:
    runner: { labels: [up] }
    uses: gantry/upload-artifact
    with: { name: report, path: out.txt, run: 'echo "made on $GANTRY_RUN_ID" > out.txt' }
  read:
    needs: make
    runner: { labels: [down] }
    uses: gantry/download-artifact
    with: { name: report, run: 'echo "text=$(cat out.txt)" >> "$GANTRY_OUTPUT"' }
outputs:
  text: \${{ steps.read.outputs.text }}
`,
      );
      const { problems } = await registerFolder(h.ctx, path.join(h.tmp.dir, "wf2"));
      expect(problems).toEqual([]);
      const up = await worker(["up"]);
      const down = await worker(["down"]);
      const { id, row, view } = await finish("split");
      expect(row.status, await stepError(id)).toBe("succeeded");
      expect(view.outputs?.text).toBe(`made on ${id}`);
      const attempts = await h.attempts(id);
      expect(attempts.map((a) => [a.step, a.worker_id])).toEqual([
        ["make", up.id],
        ["read", down.id],
      ]);
      expect((await getRun(h.database.db, id))?.status).toBe("succeeded");
    });
  });
}
