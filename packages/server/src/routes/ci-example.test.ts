import { createHmac } from "node:crypto";
import { cpSync, readFileSync } from "node:fs";
import path from "node:path";
import { SourceSyncer, store, type Worker } from "@gantry/engine";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gitRemote } from "../../../engine/src/testing/git-repos.js";
import { waitFor } from "../../../engine/src/testing/wait-for.js";
import { openTestApp, startTestWorker, type TestApp } from "../testing/test-app.js";

const EXAMPLES = new URL("../../../../examples/", import.meta.url).pathname;
const SECRET = "ci-example-webhook-secret";
const sign = (body: string) => `sha256=${createHmac("sha256", SECRET).update(body).digest("hex")}`;

/**
 * The example CI end to end: examples/node-app and examples/node-ci.yaml in a git repository, a git
 * source following it, a push announced by a signed GitHub webhook, and a worker running the jobs.
 */
describe("examples/node-ci.yaml: a signed push builds and tests examples/node-app", () => {
  let t: TestApp;
  let worker: Worker;
  let repo: ReturnType<typeof gitRemote>;

  beforeAll(async () => {
    t = await openTestApp(
      "gantry-ci-example-",
      {},
      {
        sources: (service, dir) => {
          repo = gitRemote(path.join(dir, "repo"));
          cpSync(path.join(EXAMPLES, "node-ci.yaml"), path.join(repo.work, "examples/node-ci.yaml"));
          cpSync(path.join(EXAMPLES, "node-app"), path.join(repo.work, "examples/node-app"), {
            recursive: true,
          });
          repo.commit("the app and its CI");
          repo.push("main");
          return new SourceSyncer(service, {
            sources: [
              {
                name: "app",
                url: repo.url,
                ref: "main",
                path: "examples",
                intervalMs: 0,
                github: { repository: "acme/app", secret: "ref+env://GANTRY_TEST_CI_SECRET" },
              },
            ],
            cacheDir: path.join(dir, "git"),
            resolveSecret: async (value) => (value === "ref+env://GANTRY_TEST_CI_SECRET" ? SECRET : value),
          });
        },
      },
    );
    // Artifacts and caches live where the logs do.
    worker = await startTestWorker(t.service, t.dir, {
      files: { objects: t.logArchive, workspaceRoot: t.dir },
    });
  });
  afterAll(async () => {
    await worker.stop();
    await t.close();
  });

  /** Pushes a commit announced by a signed GitHub webhook, and waits for the CI run it starts. */
  async function pushAndRun(delivery: string, changelog: string) {
    repo.write("examples/node-app/CHANGELOG.md", changelog);
    const head = repo.commit("changelog");
    repo.push("main");
    const push = JSON.parse(
      readFileSync(new URL("./testdata/github/push.branch.json", import.meta.url), "utf8"),
    ) as Record<string, unknown>;
    Object.assign(push, {
      ref: "refs/heads/main",
      after: head,
      repository: { ...(push.repository as object), full_name: "acme/app" },
      commits: [{ id: head, added: ["examples/node-app/CHANGELOG.md"], modified: [], removed: [] }],
    });
    const body = JSON.stringify(push);
    const res = await t.app.inject({
      method: "POST",
      url: "/api/v1/webhooks/github",
      headers: {
        "content-type": "application/json",
        "x-github-event": "push",
        "x-github-delivery": delivery,
        "x-hub-signature-256": sign(body),
      },
      payload: body,
    });
    expect(res.statusCode).toBe(202);
    const [started] = res.json().sources[0].runs;
    expect(started).toMatchObject({ workflow: "node-ci" });
    const run = await waitFor(
      async () => {
        const row = await store.getRun(t.service.database.db, started.id);
        return row && ["succeeded", "failed", "cancelled", "timed_out"].includes(row.status)
          ? row
          : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 200, what: "the CI run to finish" },
    );
    const detail = (await t.app.inject({ method: "GET", url: `/api/v1/runs/${run.id}` })).json();
    const log = await t.app.inject({ method: "GET", url: `/api/v1/runs/${run.id}/logs?step=build` });
    return { head, id: run.id as string, detail, lines: log.body.split("\n") };
  }

  it("runs the matrix legs and the jobs, with a cache, an artifact and a summary, and the API shows each job's steps", async () => {
    const { head, id, detail, lines } = await pushAndRun("ci-example-1", "- greet trims names\n");
    expect(detail.status, JSON.stringify(detail.steps.build?.steps)).toBe("succeeded");
    expect(detail.outputs).toMatchObject({ commit: head, cache_hit: "false" });
    expect(
      detail.steps.test.items.map((i: { name: string; status: string }) => `${i.name}: ${i.status}`),
    ).toEqual(["UTC: succeeded", "Pacific/Auckland: succeeded"]);
    expect(
      detail.steps.build.steps.map((s: { name: string; status: string; duration_ms: number | null }) => [
        s.name,
        s.status,
        typeof s.duration_ms,
      ]),
    ).toEqual([
      ["Use gantry/checkout", "succeeded", "number"],
      ["Restore the build cache", "succeeded", "number"],
      ["Install", "succeeded", "number"],
      ["Build", "succeeded", "number"],
      ["Show what was built", "succeeded", "number"],
      ["Keep dist/", "succeeded", "number"],
      ["Summary", "succeeded", "number"],
    ]);
    expect(lines).toContain("##[step] 3 Build");
    expect(lines).toContain(`// built from ${head.slice(0, 7)}`);
    expect(lines).toContain("compiled 1 file(s), reused 0 from the build cache");
    expect(lines.some((l) => /^gantry\/cache: saved 'node-build-[0-9a-f]{64}'/.test(l))).toBe(true);

    // The artifact, listed and downloadable with its SHA-256; the job's summary on the run.
    const { artifacts } = (await t.app.inject({ method: "GET", url: `/api/v1/runs/${id}/artifacts` })).json();
    expect(
      artifacts.map((a: { name: string; step: string; files: number }) => [a.name, a.step, a.files]),
    ).toEqual([["node-app-dist", "build.steps[5]", 1]]);
    const download = await t.app.inject({ method: "GET", url: artifacts[0].download_url });
    expect(download.statusCode).toBe(200);
    expect(download.headers["x-gantry-sha256"]).toBe(artifacts[0].sha256);
    expect(detail.steps.build.summary).toBe(
      [
        `### node-app built from \`${head.slice(0, 7)}\``,
        `- \`dist/greet.js\`: ${detail.outputs.bytes} bytes`,
        "- build cache: missed (saved at the end of the job)",
        `- artifact \`node-app-dist\`: sha256 \`${artifacts[0].sha256}\``,
        "",
      ].join("\n"),
    );

    // The next push hits the cache its lockfile keys, and the compiler reuses what it holds.
    const next = await pushAndRun("ci-example-2", "- greet trims names\n- and says hello\n");
    expect(next.detail.status).toBe("succeeded");
    expect(next.detail.outputs).toMatchObject({ commit: next.head, cache_hit: "true" });
    expect(next.lines).toContain("compiled 0 file(s), reused 1 from the build cache");
    expect(next.detail.steps.build.summary).toContain("- build cache: hit");
  });
});
