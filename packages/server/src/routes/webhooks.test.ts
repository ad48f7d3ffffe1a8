import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { SourceSyncer, store } from "@gantry/engine";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { gitRemote } from "../../../engine/src/testing/git-repos.js";
import { openTestApp, type TestApp } from "../testing/test-app.js";

const SECRET = "It's a Secret to Everybody";
const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`./testdata/github/${name}.json`, import.meta.url), "utf8")) as Record<
    string,
    // biome-ignore lint/suspicious/noExplicitAny: GitHub payloads are edited freely in the tests.
    any
  >;
const sign = (body: string, secret = SECRET) =>
  `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;

const CI = `name: ci
on:
  push: {branches: [master, main]}
  pull_request: {branches: [master]}
steps:
  t:
    run: echo "\${{ github.event_name }} \${{ github.sha }}"
`;
const TAGS = "name: release\non:\n  push: {tags: ['v*']}\nsteps:\n  t:\n    run: echo\n";

describe("POST /api/v1/webhooks/github", () => {
  let t: TestApp;
  let repo: ReturnType<typeof gitRemote>;
  let head: string;

  beforeEach(async () => {
    t = await openTestApp(
      "gantry-webhooks-",
      {},
      {
        sources: (service, dir) => {
          repo = gitRemote(path.join(dir, "repo"));
          repo.write(".gantry/ci.yaml", CI);
          repo.write(".gantry/release.yaml", TAGS);
          head = repo.commit("first");
          repo.push("master");
          return new SourceSyncer(service, {
            sources: [
              {
                name: "hello",
                url: repo.url,
                ref: "master",
                path: ".gantry",
                intervalMs: 0,
                github: {
                  repository: "Codertocat/Hello-World",
                  secret: "ref+env://GANTRY_TEST_WEBHOOK_SECRET",
                },
              },
            ],
            cacheDir: path.join(dir, "git"),
            resolveSecret: async (value) =>
              value === "ref+env://GANTRY_TEST_WEBHOOK_SECRET" ? SECRET : value,
          });
        },
      },
    );
  });
  afterEach(() => t.close());

  const post = (event: string, payload: object, options: { delivery?: string; signature?: string } = {}) => {
    const body = JSON.stringify(payload);
    return t.app.inject({
      method: "POST",
      url: "/api/v1/webhooks/github",
      headers: {
        "content-type": "application/json",
        "x-github-event": event,
        "x-github-delivery": options.delivery ?? `d-${Math.random()}`,
        "x-hub-signature-256": options.signature ?? sign(body),
      },
      payload: body,
    });
  };

  it("answers ping for a source following the repository", async () => {
    const ping = fixture("ping");
    ping.repository.full_name = "Codertocat/Hello-World";
    const res = await post("ping", ping);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: "pong", zen: ping.zen, sources: ["hello"] });
  });

  it("refuses a wrong signature, a missing one and an unknown repository with 401", async () => {
    const push = fixture("push.branch");
    expect((await post("push", push, { signature: sign("other", SECRET) })).statusCode).toBe(401);
    expect((await post("push", push, { signature: sign(JSON.stringify(push), "wrong") })).statusCode).toBe(
      401,
    );
    expect((await post("push", push, { signature: "" })).statusCode).toBe(401);
    expect((await post("ping", fixture("ping"))).statusCode).toBe(401); // Octocoders/Hello-World
    expect(await store.listRuns(t.service.database.db, { limit: 10 })).toEqual([]);
  });

  it("syncs the source and starts the matching workflows with the payload and a github context", async () => {
    // Sources sync at once on a webhook: the first one loads the source too.
    const push = fixture("push.branch");
    push.after = head;
    const res = await post("push", push, { delivery: "72d3162e-cc78-11e3-81ab-4c9367dc0958" });
    expect(res.statusCode).toBe(202);
    const body = res.json();
    expect(body).toMatchObject({
      status: "accepted",
      event: "push",
      sources: [{ name: "hello", state: "ok", active_commit: head }],
    });
    expect(body.sources[0].runs).toEqual([{ workflow: "ci", id: expect.any(String), status: "queued" }]);
    const run = await store.getRun(t.service.database.db, body.sources[0].runs[0].id);
    const info = JSON.parse(run?.info_json ?? "{}");
    expect(info.github).toMatchObject({
      event_name: "push",
      ref: "refs/heads/master",
      sha: head,
      repository: "Codertocat/Hello-World",
      actor: "Codertocat",
      head_ref: "",
      base_ref: "",
    });
    expect(info.github.event.head_commit.id).toBe(push.head_commit.id);
    expect(info.trigger).toMatchObject({
      type: "github",
      event: "push",
      delivery: "72d3162e-cc78-11e3-81ab-4c9367dc0958",
      source: "hello",
      ref: "refs/heads/master",
    });
    expect(run).toMatchObject({ source: "hello", commit_sha: head });

    // The same delivery again starts nothing.
    const again = await post("push", push, { delivery: "72d3162e-cc78-11e3-81ab-4c9367dc0958" });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ status: "duplicate" });
    // The same body under a new delivery id (a captured delivery replayed) is a duplicate too.
    const replayed = await post("push", push, { delivery: "a-new-delivery-id" });
    expect(replayed.statusCode).toBe(200);
    expect(replayed.json()).toMatchObject({ status: "duplicate" });
    // Another delivery of a push already seen (source, ref, commit) starts nothing either.
    const seen = await post("push", { ...push, pusher: { ...push.pusher, name: "again" } });
    expect(seen.json().sources[0]).toMatchObject({ already_seen: true, runs: [] });
    expect(await store.listRuns(t.service.database.db, { limit: 10 })).toHaveLength(1);

    // The run is visible with its source and commit, and a re-run keeps them and the github context.
    const detail = (await t.app.inject({ method: "GET", url: `/api/v1/runs/${run?.id}` })).json();
    expect(detail).toMatchObject({ source: "hello", commit: head });
    const rerun = await t.app.inject({ method: "POST", url: `/api/v1/runs/${run?.id}/rerun` });
    const rerunRow = await store.getRun(t.service.database.db, rerun.json().id);
    expect(rerunRow).toMatchObject({ source: "hello", commit_sha: head, revision: run?.revision });
    expect(JSON.parse(rerunRow?.info_json ?? "{}").github.sha).toBe(head);
  });

  it("starts nothing for a pushed commit whose workflows are invalid, and says why", async () => {
    const push = fixture("push.branch");
    push.after = head;
    expect((await post("push", push)).json().sources[0].runs).toHaveLength(1);

    repo.write(".gantry/ci.yaml", CI.replace("steps:", "steps:\n  broken: {needs: [nope], run: x}"));
    const bad = repo.commit("invalid workflow");
    repo.push("master");
    const again = { ...push, before: head, after: bad };
    const res = await post("push", again);
    expect(res.statusCode).toBe(202);
    expect(res.json().sources[0]).toMatchObject({
      name: "hello",
      state: "error",
      active_commit: head,
      runs: [],
      not_started: `commit ${bad.slice(0, 12)} was not activated (its workflows are invalid), so this push started nothing`,
    });
    expect(await store.listRuns(t.service.database.db, { limit: 10 })).toHaveLength(1);
    const sources = (await t.app.inject({ url: "/api/v1/sources" })).json().sources;
    expect(sources[0]).toMatchObject({ seen_commit: bad, active_commit: head });
    expect(sources[0].errors.join("\n")).toMatch(/unknown step 'nope'/);
  });

  it("applies tag filters and ignores a deleted tag", async () => {
    const deleted = fixture("push"); // refs/tags/simple-tag, deleted: true
    const res = await post("push", deleted);
    expect(res.json().sources[0].runs).toEqual([]);
    const tag = { ...fixture("push.no-username"), ref: "refs/tags/v1.0", after: "1".repeat(40) };
    const started = (await post("push", tag)).json().sources[0].runs;
    expect(started.map((r: { workflow: string }) => r.workflow)).toEqual(["release"]);
  });

  it("starts pull_request workflows for the default types and the base branch", async () => {
    const opened = fixture("pull_request.opened");
    const res = await post("pull_request", opened);
    expect(res.statusCode).toBe(202);
    const [run] = res.json().sources[0].runs;
    expect(run.workflow).toBe("ci");
    const info = JSON.parse((await store.getRun(t.service.database.db, run.id))?.info_json ?? "{}");
    expect(info.github).toMatchObject({
      event_name: "pull_request",
      ref: "refs/pull/2/merge",
      sha: opened.pull_request.head.sha,
      head_ref: "changes",
      base_ref: "master",
    });
    const closed = { ...fixture("pull_request.synchronize"), action: "closed" };
    expect((await post("pull_request", closed)).json().sources[0].runs).toEqual([]);
    const sync = fixture("pull_request.synchronize");
    expect((await post("pull_request", sync)).json().sources[0].runs).toHaveLength(1);
  });

  it("shows the sources and syncs one on request", async () => {
    const list = await t.app.inject({ method: "GET", url: "/api/v1/sources" });
    expect(list.json()).toEqual({
      folders: [],
      sources: [
        {
          name: "hello",
          url: repo.url,
          ref: "master",
          path: ".gantry",
          interval_seconds: 0,
          github_repository: "Codertocat/Hello-World",
          state: "never",
          syncing: false,
          active_commit: null,
          activated_at: null,
          seen_commit: null,
          last_sync_at: null,
          errors: [],
          workflows: [],
        },
      ],
    });
    const synced = await t.app.inject({ method: "POST", url: "/api/v1/sources/hello/sync" });
    expect(synced.statusCode).toBe(200);
    expect(synced.json()).toMatchObject({
      activated: true,
      head,
      runs: [],
      source: { state: "ok", active_commit: head, seen_commit: head, workflows: ["ci", "release"] },
    });
    repo.write(".gantry/ci.yaml", "name: ci\nsteps: {}\n");
    const bad = repo.commit("bad");
    repo.push("master");
    const failed = (await t.app.inject({ method: "POST", url: "/api/v1/sources/hello/sync" })).json();
    expect(failed).toMatchObject({
      activated: false,
      head: bad,
      source: { state: "error", active_commit: head, seen_commit: bad },
    });
    expect(failed.source.errors).toEqual([expect.stringMatching(/^\.gantry\/ci\.yaml:2:8: /)]);
    expect((await t.app.inject({ method: "POST", url: "/api/v1/sources/nope/sync" })).statusCode).toBe(404);
  });
});
