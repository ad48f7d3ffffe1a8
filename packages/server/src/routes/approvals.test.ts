import { store, type Worker } from "@gantry/engine";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey } from "../auth/keys.js";
import { DEFAULT_AUTH } from "../auth/types.js";
import { openTestApp, startTestWorker, type TestApp } from "../testing/test-app.js";

const DEPLOY = `name: deploy
steps:
  plan:
    run: echo "summary=1 change" >> "$GANTRY_OUTPUT"
  approve:
    needs: [plan]
    approval:
      message: "Apply \${{ steps.plan.outputs.summary }}?"
      approvers: {roles: [operator]}
      inputs: {ticket: {type: string, pattern: "^OPS-[0-9]+$", required: true}}
  apply:
    needs: [approve]
    environment: {name: staging, url: "https://staging.example.com"}
    run: echo "ticket=\${{ steps.approve.outputs.ticket }}" >> "$GANTRY_OUTPUT"
`;

describe("approvals through the API", () => {
  let t: TestApp;
  let worker: Worker;
  const keys: Record<string, string> = {};
  const bearer = (who: string) => ({ authorization: `Bearer ${keys[who]}` });

  beforeAll(async () => {
    t = await openTestApp(
      "gantry-approvals-",
      { "deploy.yaml": DEPLOY },
      { auth: { ...DEFAULT_AUTH, mode: "keys" } },
    );
    t.service.environments = [{ name: "staging" }];
    for (const [name, role] of [
      ["starter", "operator"],
      ["approver", "operator"],
      ["viewer", "viewer"],
      ["admin", "admin"],
    ] as const)
      keys[name] = (
        await createApiKey(t.service.database.db, { name, role, createdBy: "test" }, Date.now())
      ).key;
    // An operator limited to another folder: deploy.yaml is not in it.
    keys.infra = (
      await createApiKey(
        t.service.database.db,
        { name: "infra", role: "operator", scope: "folder:infra", createdBy: "test" },
        Date.now(),
      )
    ).key;
    worker = await startTestWorker(t.service, t.dir);
  });
  afterAll(async () => {
    await worker?.stop();
    await t?.close();
  });

  async function waitFor<T>(read: () => Promise<T | undefined>, what: string): Promise<T> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const value = await read();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it("lists a waiting approval with its form, refuses the starter and viewers, and passes the decision on", async () => {
    const started = await t.app.inject({
      method: "POST",
      url: "/api/v1/workflows/deploy/runs",
      headers: bearer("starter"),
      payload: {},
    });
    expect(started.statusCode).toBe(201);
    const id = (started.json() as { id: string }).id;
    const inbox = await waitFor(async () => {
      const res = await t.app.inject({ url: "/api/v1/approvals", headers: bearer("approver") });
      const list = (res.json() as { approvals: Array<Record<string, unknown>> }).approvals;
      return list.length > 0 ? list : undefined;
    }, "the approval");
    expect(inbox).toMatchObject([
      {
        run_id: id,
        step: "approve",
        kind: "approval",
        message: "Apply 1 change?",
        can_decide: true,
        refusal: null,
        input_schema: {
          type: "object",
          properties: { ticket: { type: "string", pattern: "^OPS-[0-9]+$" } },
          required: ["ticket"],
        },
      },
    ]);
    const run = (await t.app.inject({ url: `/api/v1/runs/${id}`, headers: bearer("viewer") })).json();
    expect(run.status).toBe("waiting");
    expect(run.steps.approve).toMatchObject({
      status: "waiting",
      gate: { kind: "approval", message: "Apply 1 change?" },
    });

    const url = `/api/v1/runs/${id}/approvals/approve`;
    const mine = (await t.app.inject({ url: "/api/v1/approvals", headers: bearer("starter") })).json();
    expect(mine.approvals[0]).toMatchObject({
      can_decide: false,
      refusal: expect.stringContaining("started this run"),
    });
    const bySelf = await t.app.inject({
      method: "POST",
      url,
      headers: bearer("starter"),
      payload: { decision: "approve", inputs: { ticket: "OPS-1" } },
    });
    expect(bySelf.statusCode).toBe(403);
    const byViewer = await t.app.inject({
      method: "POST",
      url,
      headers: bearer("viewer"),
      payload: { decision: "approve", inputs: { ticket: "OPS-1" } },
    });
    expect(byViewer.statusCode).toBe(403);
    expect(byViewer.json().error).toBe("viewer is not among the approvers (role operator)");
    // A scoped operator sees and decides only the approvals of its own workflows.
    const scoped = await t.app.inject({ url: "/api/v1/approvals", headers: bearer("infra") });
    expect(scoped.statusCode).toBe(200);
    expect(scoped.json().approvals).toEqual([]);
    const byScoped = await t.app.inject({
      method: "POST",
      url,
      headers: bearer("infra"),
      payload: { decision: "approve", inputs: { ticket: "OPS-1" } },
    });
    expect(byScoped.statusCode).toBe(403);
    expect(byScoped.json().error).toBe("your access is limited to folder:infra");
    const badTicket = await t.app.inject({
      method: "POST",
      url,
      headers: bearer("approver"),
      payload: { decision: "approve", inputs: { ticket: "no" } },
    });
    expect(badTicket.statusCode).toBe(400);
    expect(badTicket.json().errors[0].field).toBe("ticket");
    const badDecision = await t.app.inject({
      method: "POST",
      url,
      headers: bearer("approver"),
      payload: { decision: "maybe" },
    });
    expect(badDecision.statusCode).toBe(400);
    const tooLong = await t.app.inject({
      method: "POST",
      url,
      headers: bearer("approver"),
      payload: { decision: "approve", comment: "x".repeat(2001) },
    });
    expect(tooLong.statusCode).toBe(400);

    const ok = await t.app.inject({
      method: "POST",
      url,
      headers: bearer("approver"),
      payload: { decision: "approve", inputs: { ticket: "OPS-7" }, comment: "looks right" },
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({
      decision: { decision: "approve", by: "approver", comment: "looks right" },
      inputs: { ticket: "OPS-7" },
    });
    const again = await t.app.inject({
      method: "POST",
      url,
      headers: bearer("approver"),
      payload: { decision: "approve", inputs: { ticket: "OPS-7" } },
    });
    expect(again.statusCode).toBe(409);

    const done = await waitFor(async () => {
      const r = (await t.app.inject({ url: `/api/v1/runs/${id}`, headers: bearer("viewer") })).json();
      return r.status === "succeeded" || r.status === "failed" ? r : undefined;
    }, "the run to end");
    expect(done.status).toBe("succeeded");
    expect(done.steps.apply.outputs).toEqual({ ticket: "OPS-7" });
    expect(done.steps.approve.outputs).toMatchObject({
      decision: "approve",
      by: "approver",
      comment: "looks right",
      ticket: "OPS-7",
    });

    const audit = await store.listAudit(t.service.database.db, { limit: 20 });
    const entry = audit.find((a) => a.action === "approval.approve");
    expect(entry).toMatchObject({ actor_name: "approver", target: id });
    expect(JSON.parse(entry?.detail_json ?? "{}")).toMatchObject({
      step: "approve",
      comment: "looks right",
      inputs: { ticket: "OPS-7" },
    });

    const deployments = (
      await t.app.inject({ url: "/api/v1/deployments", headers: bearer("viewer") })
    ).json();
    expect(deployments.deployments).toMatchObject([
      {
        environment: "staging",
        run_id: id,
        workflow: "deploy",
        url: "https://staging.example.com",
        started_by: "starter",
        status: "succeeded",
      },
    ]);
    const scopedDeployments = await t.app.inject({ url: "/api/v1/deployments", headers: bearer("infra") });
    expect(scopedDeployments.statusCode).toBe(200);
    expect(scopedDeployments.json().deployments).toEqual([]);
    const environments = (
      await t.app.inject({ url: "/api/v1/environments", headers: bearer("viewer") })
    ).json();
    expect(environments.environments).toMatchObject([
      { name: "staging", secrets: [], last_deployment: { run_id: id } },
    ]);

    // A busy environment's many newer deployments do not hide a quiet one's last.
    t.service.environments = [{ name: "staging" }, { name: "busy" }];
    const later = Date.now() + 60_000;
    for (let i = 0; i < 501; i++)
      await store.insertDeployment(t.service.database.db, {
        id: `busy-${i}`,
        environment: "busy",
        run_id: id,
        step: `s${i}`,
        workflow: "deploy",
        commit_sha: null,
        url: null,
        inputs_json: "{}",
        approved_by: null,
        started_by: "test",
        created_at: later + i,
      });
    const both = (await t.app.inject({ url: "/api/v1/environments", headers: bearer("viewer") })).json();
    expect(both.environments).toMatchObject([
      { name: "staging", last_deployment: { run_id: id, step: "apply" } },
      { name: "busy", last_deployment: { step: "s500" } },
    ]);
  });
});
