import { createHmac } from "node:crypto";
import { store, type Worker } from "@gantry/engine";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_AUTH } from "../auth/types.js";
import { openTestApp, startTestWorker, type TestApp } from "../testing/test-app.js";

const SECRET = "hook-secret-0123456789";
const TOKEN = "hook-token-abcdef";

const DEPLOY = `name: deploy
inputs:
  env: {type: string, required: true}
  count: {type: integer, default: 1}
on:
  webhook:
    - name: signed
      secret: ref+env://GANTRY_TEST_HOOK_SECRET
      inputs:
        env: \${{ trigger.payload.env }}
        count: \${{ trigger.payload.count }}
    - name: bearer
      token: ref+env://GANTRY_TEST_HOOK_TOKEN
      inputs: {env: "\${{ trigger.query.env || 'staging' }}"}
    - name: unresolvable
      secret: ref+env://GANTRY_TEST_HOOK_NOT_SET
      inputs: {env: x}
steps:
  t:
    env: {TARGET: "\${{ inputs.env }}"}
    run: |
      echo "deploying $TARGET x\${{ inputs.count }}"
      echo "env=$TARGET" >> "$GANTRY_OUTPUT"
outputs:
  env: \${{ steps.t.outputs.env }}
`;

const sign = (body: string, secret = SECRET) =>
  `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
/** The headers of a correctly signed request: the signature covers `<timestamp>.<body>`. */
let clockSkew = 0;
const signed = (body: string, secret = SECRET, header = "x-gantry-signature-256"): Record<string, string> => {
  // Each call a different second, so two deliberate calls are two requests, not a replay.
  const now = String(Math.floor(Date.now() / 1000) - clockSkew++);
  return { "x-gantry-timestamp": now, [header]: sign(`${now}.${body}`, secret) };
};

describe("POST /api/v1/hooks/:workflow/:name (on.webhook)", () => {
  let t: TestApp;
  let worker: Worker;
  const warnings: string[] = [];

  beforeAll(async () => {
    process.env.GANTRY_TEST_HOOK_SECRET = SECRET;
    process.env.GANTRY_TEST_HOOK_TOKEN = TOKEN;
    // Authentication on: the hook must answer callers that have no API key, on its own check alone.
    t = await openTestApp(
      "gantry-hooks-",
      { "deploy.yaml": DEPLOY },
      { auth: { ...DEFAULT_AUTH, mode: "keys" }, onWarning: (message) => warnings.push(message) },
    );
    worker = await startTestWorker(t.service, t.dir);
  });
  afterAll(async () => {
    await worker.stop();
    await t.close();
  });

  const post = (url: string, body: string, headers: Record<string, string> = signed(body)) =>
    t.app.inject({
      method: "POST",
      url,
      headers: { "content-type": "application/json", ...headers },
      payload: body,
    });
  const runOf = async (id: string) => {
    const row = await store.getRun(t.service.database.db, id);
    if (!row) throw new Error(`no run ${id}`);
    return { ...row, trigger: JSON.parse(row.trigger_json), inputs: JSON.parse(row.inputs_json) };
  };

  it("starts a run with the body as trigger.payload and inputs mapped from it", async () => {
    const body = JSON.stringify({ env: "production", count: 3, extra: { a: 1 } });
    const res = await post("/api/v1/hooks/deploy/signed?source=ci", body, {
      ...signed(body),
      "user-agent": "curl/8",
    });
    expect(res.statusCode).toBe(202);
    const { run_id, workflow, status } = res.json();
    expect(workflow).toBe("deploy");
    expect(["queued", "running"]).toContain(status);
    const run = await runOf(run_id);
    expect(run.inputs).toEqual({ env: "production", count: 3 });
    expect(run.trigger).toMatchObject({
      type: "webhook",
      trigger: "deploy:webhook:signed",
      webhook: "signed",
      payload: { env: "production", count: 3, extra: { a: 1 } },
      query: { source: "ci" },
      delivery: null,
    });
    expect(run.trigger.headers["user-agent"]).toBe("curl/8");
    // What authenticated the request is not kept with the run.
    expect(run.trigger.headers["x-gantry-signature-256"]).toBeUndefined();
  });

  it("refuses a missing, wrong or other-secret signature with 401", async () => {
    const body = JSON.stringify({ env: "x" });
    const missing = await post("/api/v1/hooks/deploy/signed", body, {});
    expect(missing.statusCode).toBe(401);
    expect(missing.json().error).toContain("X-Gantry-Signature-256");
    const tampered = await post("/api/v1/hooks/deploy/signed", JSON.stringify({ env: "y" }), signed(body));
    expect(tampered.statusCode).toBe(401);
    const other = await post("/api/v1/hooks/deploy/signed", body, signed(body, "another secret"));
    expect(other.statusCode).toBe(401);
    // Without a timestamp, a signature of the body alone is refused: it could be replayed forever.
    const untimed = await post("/api/v1/hooks/deploy/signed", body, { "x-gantry-signature-256": sign(body) });
    expect(untimed.statusCode).toBe(401);
    // GitHub's header name works too, so a sender built for GitHub needs no change.
    const github = await post(
      "/api/v1/hooks/deploy/signed",
      body,
      signed(body, SECRET, "x-hub-signature-256"),
    );
    expect(github.statusCode).toBe(202);
  });

  it("takes a signed timestamp and refuses a stale one (replay)", async () => {
    const body = JSON.stringify({ env: "ts" });
    const now = Math.floor(Date.now() / 1000);
    const fresh = await post("/api/v1/hooks/deploy/signed", body, {
      "x-gantry-timestamp": String(now),
      "x-gantry-signature-256": sign(`${now}.${body}`),
    });
    expect(fresh.statusCode).toBe(202);
    const old = now - 6 * 60;
    const stale = await post("/api/v1/hooks/deploy/signed", body, {
      "x-gantry-timestamp": String(old),
      "x-gantry-signature-256": sign(`${old}.${body}`),
    });
    expect(stale.statusCode).toBe(401);
    expect(stale.json().error).toContain("X-Gantry-Timestamp");
    // The timestamp is part of what is signed: one moved forward does not match.
    const moved = await post("/api/v1/hooks/deploy/signed", body, {
      "x-gantry-timestamp": String(now + 1),
      "x-gantry-signature-256": sign(`${now}.${body}`),
    });
    expect(moved.statusCode).toBe(401);
  });

  it("refuses a replay of a signed request, with another delivery header or none", async () => {
    const body = JSON.stringify({ env: "once" });
    const headers: Record<string, string> = { ...signed(body), "x-gantry-delivery": "delivery-42" };
    const first = await post("/api/v1/hooks/deploy/signed", body, headers);
    expect(first.statusCode).toBe(202);
    const deliveries: Array<Record<string, string>> = [{ "x-gantry-delivery": "delivery-43" }, {}];
    for (const delivery of deliveries) {
      const replay = await post("/api/v1/hooks/deploy/signed", body, {
        "x-gantry-timestamp": headers["x-gantry-timestamp"] as string,
        "x-gantry-signature-256": headers["x-gantry-signature-256"] as string,
        ...delivery,
      });
      expect(replay.statusCode).toBe(409);
      expect(replay.json().error).toContain("replay");
    }
  });

  it("starts one run per delivery id on a token hook", async () => {
    const headers = { authorization: `Bearer ${TOKEN}`, "x-gantry-delivery": "delivery-42" };
    const first = await post("/api/v1/hooks/deploy/bearer?env=qa", "", headers);
    expect(first.statusCode).toBe(202);
    const again = await post("/api/v1/hooks/deploy/bearer?env=qa", "", headers);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual({
      status: "duplicate",
      delivery: "delivery-42",
      run_id: first.json().run_id,
    });
  });

  it("checks a bearer token", async () => {
    const ok = await post("/api/v1/hooks/deploy/bearer?env=qa", "", { authorization: `Bearer ${TOKEN}` });
    expect(ok.statusCode).toBe(202);
    const run = await runOf(ok.json().run_id);
    expect(run.inputs.env).toBe("qa");
    expect(run.trigger.payload).toBeNull();
    expect(run.trigger.headers.authorization).toBeUndefined();
    const wrong = await post("/api/v1/hooks/deploy/bearer", "", { authorization: "Bearer nope" });
    expect(wrong.statusCode).toBe(401);
    const none = await post("/api/v1/hooks/deploy/bearer", "", {});
    expect(none.statusCode).toBe(401);
    // A signature does not open a token hook.
    const bySignature = await post("/api/v1/hooks/deploy/bearer", "{}", signed("{}", TOKEN));
    expect(bySignature.statusCode).toBe(401);
  });

  it("answers unknown hooks exactly as known ones without credentials; 400 for bad JSON, 422 when inputs do not fit", async () => {
    const known = await post("/api/v1/hooks/deploy/signed", "{}", {});
    for (const url of ["/api/v1/hooks/nope/signed", "/api/v1/hooks/deploy/nope"]) {
      const unknown = await post(url, "{}");
      expect(unknown.statusCode).toBe(401);
      expect(unknown.body).toBe(known.body);
    }
    const bad = await post("/api/v1/hooks/deploy/signed", "{not json");
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toContain("not valid JSON");
    const missing = await post("/api/v1/hooks/deploy/signed", JSON.stringify({ count: 2 }));
    expect(missing.statusCode).toBe(422);
    expect(missing.json().error).toContain("env");
    const wrongType = await post("/api/v1/hooks/deploy/signed", JSON.stringify({ env: "a", count: "many" }));
    expect(wrongType.statusCode).toBe(422);
  });

  it("says 503 without naming the reference when the secret cannot be resolved", async () => {
    const res = await post("/api/v1/hooks/deploy/unresolvable", "{}");
    expect(res.statusCode).toBe(503);
    expect(res.body).not.toContain("GANTRY_TEST_HOOK_NOT_SET");
    // The operator is told which hook and why, in the server's log.
    expect(warnings).toContainEqual(
      expect.stringMatching(/^workflow hook deploy\/unresolvable: .*GANTRY_TEST_HOOK_NOT_SET/),
    );
  });

  it("with ?wait= answers the run's outputs once it ends", async () => {
    const body = JSON.stringify({ env: "waited" });
    const res = await post("/api/v1/hooks/deploy/signed?wait=20s", body);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      workflow: "deploy",
      status: "succeeded",
      finished: true,
      outputs: { env: "waited" },
    });
    const run = await runOf(res.json().run_id);
    expect(run.trigger.query).toEqual({});
    expect((await post("/api/v1/hooks/deploy/signed?wait=soon", body)).statusCode).toBe(400);
  });

  it("with a ?wait= shorter than the run answers 202 and the run goes on", async () => {
    const body = JSON.stringify({ env: "short" });
    const res = await post("/api/v1/hooks/deploy/signed?wait=0s", body);
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({ finished: false, workflow: "deploy" });
  });
});
