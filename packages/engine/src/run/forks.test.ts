import { readFileSync } from "node:fs";
import path from "node:path";
import { isForkPullRequest } from "@gantry/core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { registerFolder } from "../service/register-folder.js";
import { sqliteDatabase } from "../testing/databases.js";
import { type Harness, openHarness, runView } from "../testing/service-harness.js";
import { sourceKey } from "../workflow-sources/activate.js";
import { startGitEventRuns } from "../workflow-sources/git-triggers.js";

// GitHub's published example of a pull_request event (a branch of the same repository; a copy of
// ../shared/fixtures/github/pull_request.opened.json), and the same event from a fork, which GitHub
// sends with the fork as the head's repository.
const FIXTURE = path.join(import.meta.dirname, "testdata", "pull_request.opened.json");
const samePr = JSON.parse(readFileSync(FIXTURE, "utf8")) as Record<string, unknown>;
function fromFork(payload: Record<string, unknown>): Record<string, unknown> {
  const pr = structuredClone(payload.pull_request) as Record<string, Record<string, unknown>>;
  const headRepo = structuredClone(pr.head?.repo) as Record<string, unknown>;
  pr.head = {
    ...pr.head,
    label: "mallory:changes",
    repo: {
      ...headRepo,
      full_name: "mallory/Hello-World",
      fork: true,
      owner: { ...(headRepo.owner as object), login: "mallory" },
    },
  };
  return { ...payload, pull_request: pr };
}

const step = `
    env:
      FROM_SECRETS: \${{ secrets.token }}
      DIRECT: ref+env://GANTRY_TEST_FORK_TOKEN
    run: |
      if [ -n "$FROM_SECRETS" ]; then echo "secrets=yes" >> "$GANTRY_OUTPUT"; else echo "secrets=no" >> "$GANTRY_OUTPUT"; fi
      if [ -n "$DIRECT" ]; then echo "direct=yes" >> "$GANTRY_OUTPUT"; else echo "direct=no" >> "$GANTRY_OUTPUT"; fi
`;
const workflow = (name: string, forks: string) => `
name: ${name}
on:
  pull_request: {${forks}}
secrets:
  token: ref+env://GANTRY_TEST_FORK_TOKEN
steps:
  probe:${step}
outputs:
  secrets: \${{ steps.probe.outputs.secrets }}
  direct: \${{ steps.probe.outputs.direct }}
`;

describe("pull requests from forks", () => {
  let h: Harness;

  beforeAll(async () => {
    process.env.GANTRY_TEST_FORK_TOKEN = "fork-test-secret-9137";
    h = await openHarness(await sqliteDatabase());
    h.tmp.write("src/guarded.yaml", workflow("guarded", ""));
    h.tmp.write("src/trusting.yaml", workflow("trusting", "forks: {secrets: true}"));
    const { problems } = await registerFolder(h.ctx, path.join(h.tmp.dir, "src"), sourceKey("gh"));
    expect(problems).toEqual([]);
  });
  afterAll(async () => {
    delete process.env.GANTRY_TEST_FORK_TOKEN;
    await h?.close();
  });
  afterEach(async () => {
    await h.stopWorkers();
  });

  it("tells a fork's pull request from a branch's", () => {
    expect(isForkPullRequest(samePr)).toBe(false);
    expect(isForkPullRequest(fromFork(samePr))).toBe(true);
    const deleted = fromFork(samePr);
    (deleted.pull_request as { head: { repo: unknown } }).head.repo = null;
    expect(isForkPullRequest(deleted)).toBe(true);
    expect(isForkPullRequest({ ref: "refs/heads/main" })).toBe(false);
  });

  async function outcomes(payload: Record<string, unknown>) {
    const started = await startGitEventRuns(h.ctx, {
      source: "gh",
      name: "pull_request",
      payload,
      delivery: "d",
    });
    expect(started.map((s) => s.error)).toEqual([undefined, undefined]);
    const result: Record<string, Record<string, unknown>> = {};
    for (const run of started) {
      const row = await h.waitForRun(run.id as string, ["succeeded", "failed"], 30_000);
      expect(row.status).toBe("succeeded");
      result[run.workflow] = runView(row).outputs as Record<string, unknown>;
    }
    return result;
  }

  it("runs a fork's pull request without the source's secrets, unless the workflow opts in", async () => {
    await h.worker();
    expect(await outcomes(fromFork(samePr))).toEqual({
      guarded: { secrets: "no", direct: "no" },
      trusting: { secrets: "yes", direct: "yes" },
    });
  });

  it("gives a pull request from a branch of the repository its secrets", async () => {
    await h.worker();
    expect(await outcomes(samePr)).toEqual({
      guarded: { secrets: "yes", direct: "yes" },
      trusting: { secrets: "yes", direct: "yes" },
    });
  });

  it("does not let a payload claim the secrets: the flag is Gantry's own", async () => {
    await h.worker();
    const forged = { ...fromFork(samePr), secrets_withheld: false, fork: false };
    expect((await outcomes(forged)).guarded).toEqual({ secrets: "no", direct: "no" });
  });
});
