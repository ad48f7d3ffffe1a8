// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the attacks are workflows full of ${{ }}.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { validateWorkflowText } from "@gantry/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_AUTH } from "../auth/types.js";
import { openTestApp, type TestApp } from "../testing/test-app.js";

/**
 * Gantry's attack suite: each `it` is one attack an outsider, a viewer or a workflow author tries, and
 * the refusal it meets. The cheap ones are made here; those that need their own set-up (a browser, an
 * identity provider, a runner) are made in the test named in the last block, which checks that each
 * of them is still there. SECURITY.md says what is promised and what is not.
 */

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../..");

const HOOKED = `name: hooked
on:
  webhook: [{name: deploy, secret: ref+env://GANTRY_TEST_ATTACK_SECRET}]
steps:
  t:
    run: echo hi
`;

describe("attacks and their refusals", () => {
  let t: TestApp;

  beforeAll(async () => {
    process.env.GANTRY_TEST_ATTACK_SECRET = "attack-suite-secret-0123";
    t = await openTestApp(
      "gantry-attacks-",
      { "hooked.yaml": HOOKED },
      { auth: { ...DEFAULT_AUTH, mode: "keys" } },
    );
  });
  afterAll(async () => {
    await t?.close();
    delete process.env.GANTRY_TEST_ATTACK_SECRET;
  });

  it('splices a string input into run: (title `x"; id; echo "`): refused at load, with file:line:col and the env: rewrite', () => {
    const { problems } = validateWorkflowText(
      "evil.yaml",
      'name: evil\ninputs:\n  title: {type: string}\nsteps:\n  greet:\n    run: echo "title is ${{ inputs.title }}"\n',
    );
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ file: "evil.yaml", line: 6 });
    expect(problems[0]?.message).toMatch(/where it would run as code/);
    expect(problems[0]?.message).toContain('env: {TITLE: "${{ inputs.title }}"}');
  });

  it("splices a webhook's trigger.payload and a pull request's title into run:: both refused at load", () => {
    for (const expression of [
      "trigger.payload.branch",
      "github.event.pull_request.title",
      "github.head_ref",
    ]) {
      const { problems } = validateWorkflowText(
        "evil.yaml",
        `name: evil\nsteps:\n  build:\n    run: git checkout \${{ ${expression} }}\n`,
      );
      expect(
        problems.map((p) => p.line),
        expression,
      ).toEqual([4]);
    }
  });

  it("sets working_directory: ../../../../etc to run in /etc: refused at load", () => {
    const { problems } = validateWorkflowText(
      "evil.yaml",
      "name: evil\nsteps:\n  s:\n    working_directory: ../../../../etc\n    run: cat passwd\n",
    );
    expect(problems.map((p) => p.message)).toEqual([
      expect.stringMatching(/climbs out of the step's workspace/),
    ]);
  });

  it("probes hook names without credentials: an unknown hook answers exactly as a known one (401)", async () => {
    const ask = (url: string) =>
      t.app.inject({ method: "POST", url, headers: { "content-type": "application/json" }, payload: "{}" });
    const known = await ask("/api/v1/hooks/hooked/deploy");
    const unknownHook = await ask("/api/v1/hooks/hooked/nope");
    const unknownWorkflow = await ask("/api/v1/hooks/nothing/nope");
    expect(known.statusCode).toBe(401);
    expect([unknownHook.statusCode, unknownWorkflow.statusCode]).toEqual([401, 401]);
    expect(unknownHook.body).toBe(known.body);
    expect(unknownWorkflow.body).toBe(known.body);
  });

  it("signs a hook body with a wrong secret (an attacker without it): 401 and no run", async () => {
    const now = String(Math.floor(Date.now() / 1000));
    const res = await t.app.inject({
      method: "POST",
      url: "/api/v1/hooks/hooked/deploy",
      headers: {
        "content-type": "application/json",
        "x-gantry-timestamp": now,
        "x-gantry-signature-256": `sha256=${"0".repeat(64)}`,
      },
      payload: "{}",
    });
    expect(res.statusCode).toBe(401);
    expect(await t.service.database.db.selectFrom("runs").select("id").execute()).toEqual([]);
  });

  it("frames the UI or runs text as script: the CSP forbids framing, inline scripts and eval", async () => {
    const policy = String((await t.app.inject({ url: "/healthz" })).headers["content-security-policy"]);
    expect(policy).toContain("frame-ancestors 'none'");
    expect(policy).toMatch(/script-src 'self'(;| 'sha256-)/);
    expect(policy).not.toContain("unsafe-eval");
    expect(policy).not.toMatch(/script-src[^;]*'unsafe-inline'/);
  });

  /** Attacks made in a test of their own (a browser, an identity provider, a runner, many requests). */
  const elsewhere: Array<{ attack: string; file: string; test: string }> = [
    {
      attack:
        "prints secrets in every encoding and ::add-mask:: values; looks in the store, archive, API, WebSocket",
      file: "packages/server/src/testing/secret-sweep.ts",
      test: "masks each secret in every encoding in the store, the archive, the API and the WebSocket",
    },
    {
      attack:
        "injects through an input, a webhook payload and a signed pull request title (the three reported)",
      file: "packages/engine/src/security/injection-attacks.test.ts",
      test: "$name: the rewritten workflow prints the text literally",
    },
    {
      attack: "prints an ::add-mask:: value from a step running in parallel with the one that registered it",
      file: "packages/server/src/security/parallel-add-mask.test.ts",
      test: "%s: the parallel step's log (API and stored chunks) and its output show it masked",
    },
    {
      attack: "sends 20 parallel 20 MB bodies with a wrong signature to exhaust memory",
      file: "packages/server/src/security/webhook-cost.test.ts",
      test: "20 parallel 20 MB bodies with a wrong signature: 401 each, memory within 150 MB, /healthz answers meanwhile",
    },
    {
      attack: "replays a captured signed hook request with another delivery header or none",
      file: "packages/server/src/routes/webhooks-hooks.test.ts",
      test: "refuses a replay of a signed request, with another delivery header or none",
    },
    {
      attack: "replays a stale signed hook request",
      file: "packages/server/src/routes/webhooks-hooks.test.ts",
      test: "takes a signed timestamp and refuses a stale one (replay)",
    },
    {
      attack: "sends a GitHub event with a wrong or missing signature, or for a repository no source follows",
      file: "packages/server/src/routes/webhooks.test.ts",
      test: "refuses a wrong signature, a missing one and an unknown repository with 401",
    },
    {
      attack: "signs a victim in as the attacker (login CSRF)",
      file: "packages/server/src/auth/oidc.test.ts",
      test: "refuses a callback in a browser that did not start the sign-in (login CSRF)",
    },
    {
      attack: "replays or tampers with a sign-in callback",
      file: "packages/server/src/auth/oidc.test.ts",
      test: "refuses a tampered state and a replayed callback",
    },
    {
      attack: "keeps streaming a log with a revoked key",
      file: "packages/server/src/auth/open-sockets.test.ts",
      test: "revoking a key closes its open log stream within a second",
    },
    {
      attack: "guesses API keys, many at once",
      file: "packages/server/src/auth/auth.test.ts",
      test: "answer 429 after the configured number a minute from one address",
    },
    {
      attack: "reads the worker's database URL, encryption key, OIDC or S3 settings from a local step",
      file: "packages/engine/src/runners/local/local-runner.test.ts",
      test: "lets a step see only the allow-listed host variables and what it is given, never the worker's settings",
    },
    {
      attack: "reads the worker's settings from a Kubernetes pod",
      file: "packages/engine/src/runners/kubernetes/kubernetes-runner.test.ts",
      test: "puts none of the worker's settings (database URL, encryption key, OIDC, S3) into the pod",
    },
    {
      attack: "sends a 50,000-deep JSON body (or one that is not JSON) to crash the parser",
      file: "packages/server/src/hardening/hardening.test.ts",
      test: "answers 400 to %s",
    },
    {
      attack: "makes the run form run eval in the browser",
      file: "packages/ui/src/e2e/ui.services.test.ts",
      test: "draws the workflow's DAG and generates its run form from the inputs",
    },
  ];

  it.each(elsewhere)("$attack: refused in $file", ({ file, test }) => {
    expect(readFileSync(path.join(ROOT, file), "utf8")).toContain(`"${test}"`);
  });
});
