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
    worker = await startTestWorker(t.service, t.dir);
  });
  afterAll(async () => {
    await worker.stop();
    await t.close();
  });

  it("runs the matrix legs and the jobs, and the API shows each job's steps", async () => {
    repo.write("examples/node-app/CHANGELOG.md", "- greet trims names\n");
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
        "x-github-delivery": "ci-example-1",
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
    expect(detail.status).toBe("succeeded");
    expect(detail.outputs).toMatchObject({ commit: head });
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
      ["Build", "succeeded", "number"],
      ["Show what was built", "succeeded", "number"],
    ]);
    const log = await t.app.inject({ method: "GET", url: `/api/v1/runs/${run.id}/logs?step=build` });
    const lines = log.body.split("\n");
    expect(lines).toContain("##[step] 1 Build");
    expect(lines).toContain(`// built from ${head.slice(0, 7)}`);
  });
});
