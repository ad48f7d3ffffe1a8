import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ConflictError, InvalidInputError } from "../service/context.js";
import { registerFolder } from "../service/register-folder.js";
import type { Database } from "../store/database.js";
import { listAudit } from "../store/queries/audit-list.js";
import { listDeployments } from "../store/queries/deployments.js";
import { getRun } from "../store/queries/get-run.js";
import { runJobs } from "../store/queries/run-jobs.js";
import { cancelRunInUnit, createRunInUnit, decideGateInUnit } from "../testing/operations.js";
import { type Harness, openHarness, runView } from "../testing/service-harness.js";
import { waitFor } from "../testing/wait-for.js";
import { ForbiddenError } from "./decide.js";
import { expireGates } from "./expire.js";
import { pendingGates } from "./inbox.js";

export const DEPLOY = `
name: deploy
steps:
  plan:
    run: echo "summary=2 to add" >> "$GANTRY_OUTPUT"
  approve:
    needs: [plan]
    approval:
      message: "Apply \${{ steps.plan.outputs.summary }}?"
      approvers: {groups: [ops]}
      inputs: {ticket: {type: string, pattern: "^OPS-[0-9]+$", required: true}}
      timeout: 1h
      on_timeout: reject
  apply:
    needs: [approve]
    environment: production
    env: {TICKET: "\${{ steps.approve.outputs.ticket }}", TOKEN: "\${{ secrets.DEPLOY_TOKEN }}"}
    run: |
      echo "ticket=$TICKET" >> "$GANTRY_OUTPUT"
      test "$TOKEN" = "prod-token-value" && echo "token=right" >> "$GANTRY_OUTPUT"
`;

const ASK = `
name: ask
inputs: {token: {type: secret, required: true}}
steps:
  ok:
    approval: {message: "use \${{ inputs.token }} for t?"}
`;

const SHIP = `
name: ship
steps:
  deploy:
    environment: staging
    run: echo "shipped=yes" >> "$GANTRY_OUTPUT"
`;

const PROD_FIRST = `
name: prod-first
steps:
  apply:
    environment: production
    run: echo "applied=yes" >> "$GANTRY_OUTPUT"
`;

const AUTO = `
name: auto
steps:
  ask:
    approval:
      timeout: 10m
      on_timeout: approve
      inputs: {ticket: {type: string, required: true}}
  after:
    needs: [ask]
    env: {DECIDED: "\${{ steps.ask.outputs.decision }}"}
    run: echo "went=$DECIDED" >> "$GANTRY_OUTPUT"
`;

const ALICE = {
  id: "user:alice",
  name: "Alice",
  email: "alice@example.com",
  role: "operator",
  groups: ["ops"],
};
const BOB = { id: "user:bob", name: "Bob", email: "bob@example.com", role: "admin", groups: [] };
const CAROL = { id: "user:CAROL", name: "Carol", role: "viewer", groups: ["ops"] };

/** Approval nodes and environment gates through the service, on each store. */
export function describeGates(name: string, open: () => Promise<Database>): void {
  describe(`approvals and environments on ${name}`, () => {
    let h: Harness;

    beforeAll(async () => {
      h = await openHarness(await open());
      process.env.GANTRY_TEST_DEPLOY_TOKEN = "prod-token-value";
      h.ctx.environments = [
        {
          name: "production",
          approvers: { users: ["bob@example.com"] },
          branches: ["main"],
          secrets: { DEPLOY_TOKEN: "ref+env://GANTRY_TEST_DEPLOY_TOKEN" },
        },
      ];
      h.tmp.write("wf/deploy.yaml", DEPLOY);
      h.tmp.write("wf/ship.yaml", SHIP);
      h.tmp.write("wf/auto.yaml", AUTO);
      h.tmp.write("wf/prod-first.yaml", PROD_FIRST);
      expect((await registerFolder(h.ctx, `${h.tmp.dir}/wf`)).problems).toEqual([]);
    });
    afterAll(async () => {
      delete process.env.GANTRY_TEST_DEPLOY_TOKEN;
      await h?.close();
    });
    afterEach(async () => {
      await h.stopWorkers();
      await h.reset();
    });

    const start = () =>
      createRunInUnit(h.ctx, {
        workflow: "deploy",
        trigger: { type: "api", actor: "user:alice", user: "Alice" },
        github: { ref: "refs/heads/main" },
      });

    it("waits for an approver holding no job, then runs the environment step with its secrets", async () => {
      await h.worker({ environments: { environments: h.ctx.environments ?? [], baseDir: h.tmp.dir } });
      const { id } = await start();
      const waiting = await h.waitForRun(id, ["waiting"]);
      expect(await runJobs(h.database.db, id)).toEqual([]);
      expect(runView(waiting).state?.steps.approve?.status).toBe("running");
      const [gate] = await pendingGates(h.ctx);
      expect(gate).toMatchObject({
        run_id: id,
        step: "approve",
        kind: "approval",
        message: "Apply 2 to add?",
        approvers: { groups: ["ops"] },
        started_by: "user:alice",
        on_timeout: "reject",
      });
      expect((gate?.expires_at ?? 0) - (gate?.since ?? 0)).toBe(3_600_000);

      // The starter may not approve; someone outside the list may not either.
      await expect(
        decideGateInUnit(h.ctx, { runId: id, step: "approve", decision: "approve", person: ALICE }),
      ).rejects.toThrow(ForbiddenError);
      await expect(
        decideGateInUnit(h.ctx, {
          runId: id,
          step: "approve",
          decision: "approve",
          person: { ...BOB, role: "viewer" },
        }),
      ).rejects.toThrow("Bob is not among the approvers (group ops)");
      await expect(
        decideGateInUnit(h.ctx, {
          runId: id,
          step: "approve",
          decision: "approve",
          person: CAROL,
          inputs: { ticket: "X" },
        }),
      ).rejects.toThrow(InvalidInputError);

      const decided = await decideGateInUnit(h.ctx, {
        runId: id,
        step: "approve",
        decision: "approve",
        person: CAROL,
        inputs: { ticket: "OPS-42" },
        comment: "go",
      });
      expect(decided.decision).toMatchObject({
        decision: "approve",
        by: "Carol",
        by_id: "user:CAROL",
        comment: "go",
      });
      // The environment's own approval comes next: Bob is its approver.
      await waitGate(h, id, "apply");
      await expect(
        decideGateInUnit(h.ctx, { runId: id, step: "apply", decision: "approve", person: CAROL }),
      ).rejects.toThrow("Carol is not among the approvers (bob@example.com)");
      await decideGateInUnit(h.ctx, { runId: id, step: "apply", decision: "approve", person: BOB });
      const done = await h.waitForRun(id, ["succeeded", "failed"], 30_000);
      const view = runView(done);
      expect(view.status).toBe("succeeded");
      expect(view.state?.steps.approve?.outputs).toMatchObject({
        decision: "approve",
        ticket: "OPS-42",
        by: "Carol",
      });
      expect(view.state?.steps.apply?.outputs).toEqual({ ticket: "OPS-42", token: "right" });
      const deployments = await listDeployments(h.database.db, { limit: 10 });
      expect(deployments).toMatchObject([
        {
          environment: "production",
          run_id: id,
          step: "apply",
          workflow: "deploy",
          approved_by: "Bob",
          started_by: "Alice",
        },
      ]);
      await expect(
        decideGateInUnit(h.ctx, { runId: id, step: "apply", decision: "approve", person: BOB }),
      ).rejects.toThrow(ConflictError);
    });

    it("hands a first step to the creating process's worker only past its gate, recording its deployment", async () => {
      const environments = h.ctx.environments ?? [];
      try {
        // Staging without rules: its steps start as soon as they are ready.
        h.ctx.environments = [...environments, { name: "staging" }];
        const worker = await h.worker({
          environments: { environments: h.ctx.environments, baseDir: h.tmp.dir },
        });
        const alice = { type: "api", actor: ALICE.id, user: ALICE.name };
        // No gate: started as the run was created, its deployment recorded in the same write.
        const ship = await createRunInUnit(h.ctx, { workflow: "ship", trigger: alice });
        const shipped = await h.waitForRun(ship.id, ["succeeded", "failed"]);
        expect(shipped.status).toBe("succeeded");
        expect(shipped.started_at).toBe(shipped.created_at);
        const gated = await createRunInUnit(h.ctx, {
          workflow: "prod-first",
          trigger: alice,
          github: { ref: "refs/heads/main" },
        });
        // Production waits for Bob: nothing is leased, queued or started until he decides.
        await waitGate(h, gated.id, "apply");
        expect(await runJobs(h.database.db, gated.id)).toEqual([]);
        expect(await h.attempts(gated.id)).toEqual([]);
        expect((await getRun(h.database.db, gated.id))?.started_at).toBeNull();
        await decideGateInUnit(h.ctx, { runId: gated.id, step: "apply", decision: "approve", person: BOB });
        expect((await h.waitForRun(gated.id, ["succeeded", "failed"])).status).toBe("succeeded");
        expect((await h.attempts(gated.id)).map((a) => [a.step, a.status, a.worker_id])).toEqual([
          ["apply", "succeeded", worker.id],
        ]);
        const deployments = await listDeployments(h.database.db, { limit: 10 });
        expect(deployments.map((d) => [d.run_id, d.environment, d.approved_by, d.started_by])).toEqual(
          expect.arrayContaining([
            [ship.id, "staging", null, "Alice"],
            [gated.id, "production", "Bob", "Alice"],
          ]),
        );
      } finally {
        h.ctx.environments = environments;
      }
    });

    it("fails the run on a rejection, and on a timeout that rejects", async () => {
      await h.worker();
      const rejected = await start();
      await waitGate(h, rejected.id, "approve");
      await decideGateInUnit(h.ctx, {
        runId: rejected.id,
        step: "approve",
        decision: "reject",
        person: CAROL,
        comment: "not on a Friday",
      });
      const row = await h.waitForRun(rejected.id, ["failed"]);
      expect(runView(row).state?.steps.approve?.items[0]?.error).toBe("rejected by Carol: not on a Friday");
      expect(runView(row).state?.steps.apply?.status).toBe("skipped");

      const timed = await start();
      await waitGate(h, timed.id, "approve");
      expect(await expireGates(h.ctx)).toBe(0);
      const now = h.ctx.now;
      h.ctx.now = () => now() + 3_600_001;
      try {
        expect(await expireGates(h.ctx)).toBe(1);
      } finally {
        h.ctx.now = now;
      }
      const expired = runView(await h.waitForRun(timed.id, ["failed"]));
      expect(expired.state?.steps.approve?.outputs).toMatchObject({
        decision: "reject",
        by: "timeout",
        timed_out: true,
      });
      // The timeout's decision is audited like a person's, with the timeout as its actor.
      const audited = (await listAudit(h.database.db, { limit: 10, action: "approval.reject" })).find(
        (a) => a.target === timed.id,
      );
      expect(audited).toMatchObject({ actor: "timeout", actor_name: "timeout" });
      expect(JSON.parse(audited?.detail_json ?? "{}")).toMatchObject({
        step: "approve",
        timed_out: true,
        run_status: "failed",
      });
    });

    it("lets the starter approve a deployment only with allow_self, then holds it for the wait until cancelled", async () => {
      const staging = {
        name: "staging",
        approvers: { roles: ["operator"] },
        branches: ["release/**"],
        waitMs: 300_000,
      };
      const environments = h.ctx.environments;
      const ship = () =>
        createRunInUnit(h.ctx, {
          workflow: "ship",
          trigger: { type: "api", actor: ALICE.id, user: ALICE.name },
          github: { ref: "refs/heads/release/1.2" },
        });
      try {
        h.ctx.environments = [staging];
        const strict = await ship();
        await waitGate(h, strict.id, "deploy");
        expect((await pendingGates(h.ctx, { runId: strict.id }))[0]?.allow_self).toBe(false);
        await expect(
          decideGateInUnit(h.ctx, { runId: strict.id, step: "deploy", decision: "approve", person: ALICE }),
        ).rejects.toThrow("Alice started this run and may not approve it");
        await cancelRunInUnit(h.ctx, strict.id);

        h.ctx.environments = [{ ...staging, allowSelf: true }];
        const own = await ship();
        await waitGate(h, own.id, "deploy");
        const before = h.ctx.now();
        await decideGateInUnit(h.ctx, { runId: own.id, step: "deploy", decision: "approve", person: ALICE });
        // Approved: the step sits in the queue for the environment's wait, holding no worker.
        await h.worker();
        const [job] = await runJobs(h.database.db, own.id);
        expect(job).toMatchObject({ step: "deploy", status: "queued" });
        expect(Number(job?.available_at) - before).toBeGreaterThanOrEqual(300_000);
        expect((await getRun(h.database.db, own.id))?.status).toBe("running");
        // The wait is cancellable: the run ends, the step never ran and nothing was deployed.
        expect(await cancelRunInUnit(h.ctx, own.id)).toEqual({ status: "cancelled" });
        const ended = runView(await h.waitForRun(own.id, ["cancelled"]));
        expect(ended.state?.steps.deploy?.outputs ?? {}).toEqual({});
        expect(await runJobs(h.database.db, own.id)).toEqual([]);
        expect((await listDeployments(h.database.db, { limit: 10 })).map((d) => d.run_id)).not.toContain(
          own.id,
        );
      } finally {
        h.ctx.environments = environments;
      }
    });

    it("lets a timeout approve when on_timeout says so, without the form's required values", async () => {
      await h.worker();
      // The run starts waiting 10 minutes ago, so the decision and the job it queues are on today's clock.
      const now = h.ctx.now;
      h.ctx.now = () => now() - 600_001;
      let id: string;
      try {
        id = (await createRunInUnit(h.ctx, { workflow: "auto" })).id;
        await waitGate(h, id, "ask");
      } finally {
        h.ctx.now = now;
      }
      const [gate] = await pendingGates(h.ctx, { runId: id });
      expect(gate).toMatchObject({ on_timeout: "approve" });
      expect(await expireGates(h.ctx)).toBe(1);
      const done = runView(await h.waitForRun(id, ["succeeded", "failed"], 30_000));
      expect(done.status).toBe("succeeded");
      expect(done.state?.steps.ask?.outputs).toMatchObject({
        decision: "approve",
        by: "timeout",
        timed_out: true,
      });
      expect(done.state?.steps.after?.outputs).toEqual({ went: "approve" });
      const [entry] = await listAudit(h.database.db, { limit: 1, action: "approval.approve" });
      expect(entry).toMatchObject({ actor: "timeout", target: id });
    });

    it("masks secret inputs in an approval's message", async () => {
      h.tmp.write("wf2/ask.yaml", ASK);
      expect((await registerFolder(h.ctx, `${h.tmp.dir}/wf2`)).problems).toEqual([]);
      const { id } = await createRunInUnit(h.ctx, {
        workflow: "ask",
        inputs: { token: "tok-very-secret-77" },
      });
      await waitGate(h, id, "ok");
      const row = await getRun(h.database.db, id);
      expect(row?.state_json).not.toContain("tok-very-secret-77");
      expect((await pendingGates(h.ctx, { runId: id }))[0]?.message).toBe("use *** for t?");
    });

    it("refuses runs from other branches, and a cancel ends a waiting run", async () => {
      await h.worker();
      const other = await createRunInUnit(h.ctx, {
        workflow: "deploy",
        github: { ref: "refs/heads/feature" },
      });
      await waitGate(h, other.id, "approve");
      await decideGateInUnit(h.ctx, {
        runId: other.id,
        step: "approve",
        decision: "approve",
        person: CAROL,
        inputs: { ticket: "OPS-1" },
      });
      const refused = runView(await h.waitForRun(other.id, ["failed"]));
      expect(refused.state?.steps.apply?.error).toBe(
        "environment 'production' refuses runs from branch 'feature' (allowed: main)",
      );

      const waiting = await start();
      await h.waitForRun(waiting.id, ["waiting"]);
      expect(await cancelRunInUnit(h.ctx, waiting.id)).toEqual({ status: "cancelled" });
      expect((await getRun(h.database.db, waiting.id))?.status).toBe("cancelled");
      expect(await pendingGates(h.ctx)).toEqual([]);
    });
  });
}

async function waitGate(h: Harness, runId: string, step: string): Promise<void> {
  await waitFor(
    async () => ((await pendingGates(h.ctx, { runId })).some((g) => g.step === step) ? true : undefined),
    { timeoutMs: 20_000, what: `step ${step} of run ${runId} to wait for a decision` },
  );
}
