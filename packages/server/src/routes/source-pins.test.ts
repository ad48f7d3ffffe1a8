import path from "node:path";
import { SourceSyncer } from "@gantry/engine";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gitRemote } from "../../../engine/src/testing/git-repos.js";
import { openTestApp, type TestApp } from "../testing/test-app.js";

const ACTION = "inputs:\n  who: {type: string, default: you}\nruns: {using: bash, script: run.sh}\n";

describe("library pins: GET /api/v1/sources/{name}, libraries with pin: sha", () => {
  let t: TestApp;
  let repo: ReturnType<typeof gitRemote>;
  let lib: ReturnType<typeof gitRemote>;
  let v1: string;

  beforeAll(async () => {
    t = await openTestApp(
      "gantry-pins-",
      {},
      {
        sources: (service, dir) => {
          lib = gitRemote(path.join(dir, "lib"));
          lib.write("deploy/action.yaml", ACTION);
          lib.write("deploy/run.sh", "echo deploying\n");
          lib.write("notify/action.yaml", ACTION);
          lib.write("notify/run.sh", "echo notifying\n");
          v1 = lib.commit("v1");
          lib.git("tag", "v1");
          lib.push();
          lib.git("push", "--quiet", "origin", "v1");
          repo = gitRemote(path.join(dir, "repo"));
          repo.write(
            ".gantry/deploy.yaml",
            "name: deploy\nsteps:\n  d:\n    uses: infra/deploy@v1\n  n:\n    uses: infra/notify@main\n",
          );
          repo.write(".gantry/strict.yaml", `name: strict\nsteps:\n  d:\n    uses: audited/deploy@${v1}\n`);
          repo.commit("uses libraries");
          repo.push();
          return new SourceSyncer(service, {
            sources: [{ name: "app", url: repo.url, ref: "main", path: ".gantry", intervalMs: 0 }],
            libraries: [
              { name: "infra", url: lib.url },
              { name: "audited", url: lib.url, pin: "sha" },
            ],
            cacheDir: path.join(dir, "git"),
          });
        },
      },
    );
  });
  afterAll(() => t?.close());

  it("lists every pin of the active commit: the ref each uses: names and the commit it was", async () => {
    const synced = await t.app.inject({ method: "POST", url: "/api/v1/sources/app/sync" });
    expect(synced.json().source.errors).toEqual([]);
    // The library moves on: the pins stay what they were when the commit was activated.
    lib.write("deploy/run.sh", "echo moved\n");
    lib.commit("moved");
    lib.push();
    const res = await t.app.inject({ url: "/api/v1/sources/app" });
    expect(res.statusCode).toBe(200);
    expect(res.json().source.name).toBe("app");
    expect(res.json().pins).toEqual([
      { library: "audited", path: "deploy", ref: v1, commit: v1, workflow: "strict", step: "d" },
      { library: "infra", path: "deploy", ref: "v1", commit: v1, workflow: "deploy", step: "d" },
      { library: "infra", path: "notify", ref: "main", commit: v1, workflow: "deploy", step: "n" },
    ]);
    expect((await t.app.inject({ url: "/api/v1/sources/nope" })).statusCode).toBe(404);
  });

  it("refuses a branch or tag of a library that takes only full commit SHAs, saying what to write", async () => {
    repo.write(".gantry/strict.yaml", "name: strict\nsteps:\n  d:\n    uses: audited/deploy@v1\n");
    repo.commit("a tag of an audited library");
    repo.push();
    const synced = await t.app.inject({ method: "POST", url: "/api/v1/sources/app/sync" });
    expect(synced.json().activated).toBe(false);
    expect(synced.json().source.errors).toEqual([
      `.gantry/strict.yaml:4:11: steps.d.uses: library 'audited' takes only full commit SHAs (pin: sha): 'v1' is a branch or tag that can move; use @${v1} (what 'v1' is now)`,
    ]);
  });
});
