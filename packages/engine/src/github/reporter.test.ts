import { generateKeyPairSync } from "node:crypto";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { registerFolder } from "../service/register-folder.js";
import { getCommitReport } from "../store/queries/commit-reports.js";
import { sqliteDatabase } from "../testing/databases.js";
import { type GithubApiStub, startGithubApiStub } from "../testing/github-api.js";
import { createRunInUnit } from "../testing/operations.js";
import { type Harness, openHarness } from "../testing/service-harness.js";
import { waitFor } from "../testing/wait-for.js";
import type { GithubSourceConfig, SourceConfig } from "../workflow-sources/config.js";
import { CommitReporter, type ReportEvent } from "./reporter.js";

const SHA = "6dcb09b5b57875f334f61aebed695e2e4193db5e";
const WORKFLOWS: Record<string, string> = {
  "ci.yaml": "name: ci\nsteps:\n  test:\n    run: echo ok\n",
  "broken.yaml": "name: broken\nsteps:\n  test:\n    run: exit 3\n",
};

describe("results on GitHub (against GitHub's published REST description)", () => {
  let h: Harness;
  let stub: GithubApiStub | undefined;
  let reporter: CommitReporter | undefined;
  const events: ReportEvent[] = [];
  const keys = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const privateKey = keys.privateKey.export({ type: "pkcs1", format: "pem" }).toString();
  const publicKey = keys.publicKey.export({ type: "spki", format: "pem" }).toString();

  beforeAll(async () => {
    process.env.GANTRY_TEST_GH_TOKEN = "ghp_test_token_for_the_stub";
    process.env.GANTRY_TEST_GH_APP_KEY = privateKey;
    h = await openHarness(await sqliteDatabase());
    for (const [file, text] of Object.entries(WORKFLOWS)) h.tmp.write(`wf/${file}`, text);
    const { problems } = await registerFolder(h.ctx, path.join(h.tmp.dir, "wf"));
    expect(problems).toEqual([]);
  });
  afterAll(async () => {
    delete process.env.GANTRY_TEST_GH_TOKEN;
    delete process.env.GANTRY_TEST_GH_APP_KEY;
    await h?.close();
  });
  afterEach(async () => {
    await reporter?.stop();
    await h.stopWorkers();
    await stub?.close();
    stub = undefined;
    events.length = 0;
  });

  const source = (github: Partial<GithubSourceConfig>): SourceConfig => ({
    name: "gh",
    url: "https://github.com/acme/app.git",
    ref: "main",
    path: "",
    intervalMs: 0,
    github: { repository: "acme/app", secret: "ref+env://UNUSED", ...github },
  });
  const makeReporter = (github: Partial<GithubSourceConfig>, extra: { maxAttempts?: number } = {}) =>
    new CommitReporter(h.ctx, {
      sources: [source(github)],
      resolveSecret: async (value) =>
        value.startsWith("ref+env://") ? String(process.env[value.slice(10)]) : value,
      publicUrl: "https://gantry.example.com/",
      pollMs: 50,
      backoffMs: () => 20,
      onEvent: (event) => events.push(event),
      ...extra,
    });
  /** A run as a push to acme/app starts it (the run's source and GitHub context). */
  const githubRun = async (workflow: string) => {
    const { id } = await createRunInUnit(h.ctx, {
      workflow,
      trigger: { type: "github", event: "push", source: "gh" },
      github: { event_name: "push", sha: SHA, ref: "refs/heads/main", repository: "acme/app" },
    });
    await h.database.db.updateTable("runs").set({ source: "gh" }).where("id", "=", id).execute();
    return id;
  };

  it("the stand-in refuses what GitHub's description does not allow", async () => {
    stub = await startGithubApiStub();
    const post = (url: string, body: unknown, auth = "token x") =>
      fetch(`${stub?.url}${url}`, {
        method: "POST",
        headers: { authorization: auth, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    expect((await post(`/repos/acme/app/statuses/${SHA}`, { state: "bogus" })).status).toBe(422);
    expect((await post("/repos/acme/app/check-runs", { head_sha: SHA })).status).toBe(422);
    expect((await post("/repos/acme/app/no-such-thing", {})).status).toBe(422);
    expect((await post(`/repos/acme/app/statuses/${SHA}`, { state: "success" }, "")).status).toBe(422);
    expect((await post("/app/installations/7/access_tokens", {}, "Bearer not-a-jwt")).status).toBe(422);
    expect(stub.violations).toEqual([
      expect.stringContaining("must be equal to one of the allowed values"),
      expect.stringContaining("must have required property 'name'"),
      expect.stringContaining("no such operation"),
      expect.stringContaining("no token"),
      expect.stringContaining("JWT"),
    ]);
    expect((await post(`/repos/acme/app/statuses/${SHA}`, { state: "success", context: "ci" })).status).toBe(
      201,
    );
  });

  it("posts commit statuses with a token: pending while queued, then the result, linking the run's page", async () => {
    stub = await startGithubApiStub();
    reporter = makeReporter({ token: "ref+env://GANTRY_TEST_GH_TOKEN", api_url: stub.url });
    const ok = await githubRun("ci");
    const bad = await githubRun("broken");
    expect(await reporter.tick()).toBe(2);
    await h.worker();
    await h.waitForRun(ok, ["succeeded"]);
    await h.waitForRun(bad, ["failed"]);
    expect(await reporter.tick()).toBe(2);
    expect(await reporter.tick()).toBe(0);
    expect(stub.violations).toEqual([]);
    const posted = stub.requests.map((r) => [r.operationId, r.path, r.body.context, r.body.state]);
    expect(posted).toEqual([
      ["repos/create-commit-status", `/repos/acme/app/statuses/${SHA}`, "ci", "pending"],
      ["repos/create-commit-status", `/repos/acme/app/statuses/${SHA}`, "broken", "pending"],
      ["repos/create-commit-status", `/repos/acme/app/statuses/${SHA}`, "ci", "success"],
      ["repos/create-commit-status", `/repos/acme/app/statuses/${SHA}`, "broken", "failure"],
    ]);
    expect(stub.requests[2]?.body.target_url).toBe(`https://gantry.example.com/runs/${ok}`);
    expect(stub.requests.every((r) => r.authorization === "token ghp_test_token_for_the_stub")).toBe(true);
  });

  it("creates and updates a check run as a GitHub App, on GitHub Enterprise's API path", async () => {
    stub = await startGithubApiStub({ prefix: "/api/v3", appPublicKey: publicKey });
    reporter = makeReporter({
      app: { app_id: 42, private_key: "ref+env://GANTRY_TEST_GH_APP_KEY", installation_id: 7 },
      api_url: stub.url,
    });
    const id = await githubRun("ci");
    expect(await reporter.tick()).toBe(1);
    await h.worker();
    await h.waitForRun(id, ["succeeded"]);
    expect(await reporter.tick()).toBe(1);
    expect(stub.violations).toEqual([]);
    const ops = stub.requests.map((r) => r.operationId);
    expect(ops).toEqual(["apps/create-installation-access-token", "checks/create", "checks/update"]);
    const [, create, update] = stub.requests;
    expect(create?.body).toMatchObject({ name: "ci", head_sha: SHA, status: "queued", external_id: id });
    expect(create?.body.details_url).toBe(`https://gantry.example.com/runs/${id}`);
    expect(update?.path).toMatch(/^\/repos\/acme\/app\/check-runs\/\d+$/);
    expect(update?.body).toMatchObject({ status: "completed", conclusion: "success" });
    expect(create?.authorization).toMatch(/^token ghs_stub\d+$/);
  });

  it("retries with backoff when GitHub fails, gives up after its tries, and never holds the run back", async () => {
    stub = await startGithubApiStub();
    reporter = makeReporter(
      { token: "ref+env://GANTRY_TEST_GH_TOKEN", api_url: stub.url },
      { maxAttempts: 3 },
    );
    stub.failNext(2);
    const id = await githubRun("ci");
    reporter.start();
    await h.worker();
    // The run finishes while its reports fail.
    await h.waitForRun(id, ["succeeded"]);
    await waitFor(async () => (await getCommitReport(h.database.db, id))?.run_status === "succeeded", {
      timeoutMs: 20_000,
    });
    expect(events.filter((e) => e.type === "failed").map((e) => (e as { error: string }).error)).toEqual([
      expect.stringMatching(/^HTTP 502/),
      expect.stringMatching(/^HTTP 502/),
    ]);
    expect(stub.requests.at(-1)?.body.state).toBe("success");
    expect(stub.violations).toEqual([]);

    // An outage longer than its tries: given up with the error kept, the run untouched.
    await reporter.stop();
    stub.failNext(100);
    const second = await githubRun("ci");
    await h.waitForRun(second, ["succeeded"]);
    events.length = 0;
    reporter.start();
    await waitFor(() => events.some((e) => e.type === "gave_up"), { timeoutMs: 20_000 });
    const row = await getCommitReport(h.database.db, second);
    expect(row?.error).toMatch(/^HTTP 502/);
    expect(events.filter((e) => e.type === "failed")).toHaveLength(2);
  });
});
