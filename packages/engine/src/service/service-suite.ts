import { existsSync, readFileSync } from "node:fs";
import { sql } from "kysely";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../store/database.js";
import { getRun } from "../store/queries/get-run.js";
import { getWorkflow } from "../store/queries/get-workflow.js";
import { listWorkflows } from "../store/queries/list-workflows.js";
import { runJobs } from "../store/queries/run-jobs.js";
import { cancelRunInUnit, createRunInUnit } from "../testing/operations.js";
import { type Harness, openHarness, runView } from "../testing/service-harness.js";
import { InvalidInputError, NotFoundError } from "./context.js";
import { registerFolder } from "./register-folder.js";
import { runInfo } from "./run-record.js";

const TOKEN = "tok-3f9a-very-secret-value";

export const GREET = `
name: greet
description: Greets someone
inputs:
  who: { type: string, required: true }
  times: { type: integer, default: 1, minimum: 1, maximum: 3 }
  loud: { type: boolean, default: false }
steps:
  hello:
    env: { WHO: "\${{ inputs.who }}" }
    run: echo "greeting=hello $WHO x\${{ inputs.times }}" >> "$GANTRY_OUTPUT"
  shout:
    needs: hello
    run: echo "loud=$(echo '\${{ steps.hello.outputs.greeting }}' | tr a-z A-Z)" >> "$GANTRY_OUTPUT"
outputs:
  greeting: \${{ steps.hello.outputs.greeting }}
  loud: \${{ steps.shout.outputs.loud }}
`;

export const SECRET = `
name: secret
inputs:
  token: { type: secret, required: true }
  user: { type: string, default: ci }
steps:
  use:
    env: { TOKEN: "\${{ inputs.token }}" }
    run: |
      echo "length=\${#TOKEN}" >> "$GANTRY_OUTPUT"
      echo "echoed=$TOKEN" >> "$GANTRY_OUTPUT"
      echo "using $TOKEN"
  fail-with-it:
    needs: use
    if: \${{ always() }}
    continue_on_error: true
    env: { TOKEN: "\${{ inputs.token }}" }
    run: |
      echo "message=bad token $TOKEN" >> "$GANTRY_OUTPUT"
      exit 3
outputs:
  length: \${{ steps.use.outputs.length }}
  echoed: \${{ steps.use.outputs.echoed }}
  direct: \${{ inputs.token }}
`;

/** A secret from a `ref+env://` reference, printed by the step in every encoding the masker knows. */
export const SWEEP_SECRET = "Sup3rS3cretPW!x/ é";
export const SWEEP_MASKED = "generated-token-5150";
export const SWEEP = `
name: sweep
secrets:
  pw: ref+env://GANTRY_TEST_SWEEP_SECRET
steps:
  leak:
    env: { PW: "\${{ secrets.pw }}" }
    shell: python
    run: |
      import base64, json, os, urllib.parse
      pw = os.environ["PW"]
      print(pw)
      for pre in ["", "a", "ab"]:
          print(base64.b64encode((pre + pw + "tail").encode()).decode())
      print(urllib.parse.quote(pw), urllib.parse.quote_plus(pw), json.dumps(pw), json.dumps(pw, ensure_ascii=False))
      made = "generated-token-" + str(5000 + 150)
      print("::add-mask::" + made)
      print("made " + made)
      with open(os.environ["GANTRY_OUTPUT"], "a") as out:
          out.write("pw=" + pw + "\\n")
          out.write("quoted=" + urllib.parse.quote(pw) + "\\n")
          out.write("made=" + made + "\\n")
      raise SystemExit("failed with " + pw)
outputs:
  pw: \${{ steps.leak.outputs.pw }}
  direct: \${{ secrets.pw }}
`;

/** Every form of the sweep's secrets that must appear nowhere. */
export function sweepForms(): string[] {
  const pw = SWEEP_SECRET;
  const b64 = (s: string) => Buffer.from(s).toString("base64");
  return [
    pw,
    SWEEP_MASKED,
    b64(`${pw}tail`).slice(0, 20),
    encodeURIComponent(pw),
    "Sup3rS3cretPW%21x/%20%C3%A9",
    "Sup3rS3cretPW%21x%2F+%C3%A9",
    "Sup3rS3cretPW!x/ \\u00e9",
  ];
}

/** The createRun contract, on each store: `service.test.ts` (SQLite), `service.services.test.ts` (PostgreSQL). */
export function describeService(name: string, open: () => Promise<Database>): void {
  describe(`service on ${name}`, () => {
    let h: Harness;

    beforeAll(async () => {
      h = await openHarness(await open());
      h.tmp.write("wf/greet.yaml", GREET);
      h.tmp.write("wf/secret.yaml", SECRET);
      h.tmp.write("wf/sweep.yaml", SWEEP);
      h.tmp.write("wf/broken.yaml", "name: broken\nsteps:\n  a:\n    needs: missing\n    run: echo\n");
      const result = await registerFolder(h.ctx, `${h.tmp.dir}/wf`);
      expect(result.registered.sort()).toEqual(["greet", "secret", "sweep"]);
      expect(result.problems.map((p) => p.file)).toEqual([`${h.tmp.dir}/wf/broken.yaml`]);
    });
    afterAll(async () => {
      await h?.close();
    });
    afterEach(async () => {
      await h.stopWorkers();
      await h.reset();
    });

    it("registers workflows with their input schema, at a content-addressed revision", async () => {
      expect((await listWorkflows(h.database.db)).map((w) => w.name)).toEqual(["greet", "secret", "sweep"]);
      const greet = await getWorkflow(h.database.db, "greet");
      expect(greet).toMatchObject({
        source: `dir:${h.tmp.dir}/wf`,
        file: "greet.yaml",
        description: "Greets someone",
      });
      expect(JSON.parse(greet!.input_schema_json)).toMatchObject({
        type: "object",
        properties: { who: { type: "string" }, times: { type: "integer", minimum: 1, maximum: 3 } },
      });
      const revision = greet!.revision;
      expect(revision).toMatch(/^[0-9a-f]{64}$/);
      // Registering the same files again is a no-op; changing one gives a new revision.
      await registerFolder(h.ctx, `${h.tmp.dir}/wf`);
      expect((await getWorkflow(h.database.db, "greet"))?.revision).toBe(revision);
      h.tmp.write("wf2/greet.yaml", GREET.replace("Greets someone", "Greets someone else"));
      await registerFolder(h.ctx, `${h.tmp.dir}/wf2`);
      const changed = await getWorkflow(h.database.db, "greet");
      expect(changed?.revision).not.toBe(revision);
      await registerFolder(h.ctx, `${h.tmp.dir}/wf`);
      expect((await getWorkflow(h.database.db, "greet"))?.revision).toBe(revision);
    });

    it("creates a run with coerced inputs and queues its first step", async () => {
      const { id, status } = await createRunInUnit(h.ctx, {
        workflow: "greet",
        inputs: { who: "ada", times: "2", loud: "true" },
      });
      expect(status).toBe("queued");
      const row = await getRun(h.database.db, id);
      expect(row).toMatchObject({ workflow: "greet", status: "queued", attempt: 1, secret_inputs: null });
      expect(JSON.parse(row!.inputs_json)).toEqual({ who: "ada", times: 2, loud: true });
      expect(JSON.parse(row!.trigger_json)).toEqual({ type: "manual" });
      const jobs = await runJobs(h.database.db, id);
      expect(jobs.map((j) => [j.step, j.status, j.attempt])).toEqual([["hello", "queued", 1]]);
      expect(runView(row!).state?.steps.shout?.status).toBe("pending");
    });

    it("rejects bad inputs naming each field, and stores nothing", async () => {
      const error = await createRunInUnit(h.ctx, {
        workflow: "greet",
        inputs: { times: "many", colour: "red" },
      }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(InvalidInputError);
      const fields = (error as InvalidInputError).errors.map((e) => e.field).sort();
      expect(fields).toEqual(["colour", "times", "who"]);
      expect((error as Error).message).toMatch(/times/);
      await expect(
        createRunInUnit(h.ctx, { workflow: "greet", inputs: { who: "x", times: 9 } }),
      ).rejects.toThrow(/input 'times': 9 is more than the maximum 3/);
      expect(await h.database.db.selectFrom("runs").select("id").execute()).toEqual([]);
      expect(await h.database.db.selectFrom("jobs").select("id").execute()).toEqual([]);
    });

    it("rejects an unknown workflow with NotFoundError", async () => {
      await expect(createRunInUnit(h.ctx, { workflow: "nope" })).rejects.toBeInstanceOf(NotFoundError);
      await expect(cancelRunInUnit(h.ctx, "no-such-run")).rejects.toBeInstanceOf(NotFoundError);
    });

    it("stores secret inputs only encrypted", async () => {
      const { id } = await createRunInUnit(h.ctx, { workflow: "secret", inputs: { token: TOKEN } });
      const row = (await getRun(h.database.db, id))!;
      expect(JSON.stringify(row)).not.toContain(TOKEN);
      expect(JSON.parse(row.inputs_json)).toEqual({ user: "ci" });
      expect(JSON.parse(row.info_json).inputs).toEqual({ user: "ci" });
      expect(row.secret_inputs).toMatch(/^v2\./);
      expect(JSON.parse(h.ctx.box.open(row.secret_inputs!))).toEqual({ token: TOKEN });
      expect(runInfo(row, h.ctx.box).inputs).toEqual({ token: TOKEN, user: "ci" });
      // An invalid secret is reported without echoing it.
      const error = await createRunInUnit(h.ctx, { workflow: "secret", inputs: { token: 12345678 } }).catch(
        (e: Error) => e,
      );
      expect(error).toBeInstanceOf(InvalidInputError);
      expect((error as Error).message).not.toContain("12345678");
    });

    it("keeps secrets out of every stored row after a worker ran the steps", async () => {
      await h.worker();
      const { id } = await createRunInUnit(h.ctx, { workflow: "secret", inputs: { token: TOKEN } });
      const row = await h.waitForRun(id, ["succeeded", "failed"]);
      const view = runView(row);
      expect(view.status).toBe("succeeded");
      expect(view.outputs).toEqual({ length: String(TOKEN.length), echoed: "***", direct: "***" });
      expect(view.state?.steps["fail-with-it"]?.status).toBe("failed");
      const everything = JSON.stringify({
        runs: await h.database.db.selectFrom("runs").selectAll().execute(),
        steps: await h.database.db.selectFrom("run_steps").selectAll().execute(),
        attempts: await h.database.db.selectFrom("step_attempts").selectAll().execute(),
        jobs: await h.database.db.selectFrom("jobs").selectAll().execute(),
      });
      expect(everything).toContain("bad token");
      expect(everything).not.toContain(TOKEN);
    });

    it("sweeps every table (and the SQLite file) for a referenced secret in each encoding, and a masked value", async () => {
      process.env.GANTRY_TEST_SWEEP_SECRET = SWEEP_SECRET;
      try {
        await h.worker();
        const { id } = await createRunInUnit(h.ctx, { workflow: "sweep", inputs: {} });
        const row = await h.waitForRun(id, ["succeeded", "failed"]);
        expect(row.status).toBe("failed");
        const dump: unknown[] = [];
        for (const table of await h.database.db.introspection.getTables()) {
          dump.push(
            await h.database.db
              .selectFrom(table.name as "runs")
              .selectAll()
              .execute(),
          );
        }
        let everything = JSON.stringify(dump, (_k, v: unknown) =>
          v instanceof Uint8Array ? Buffer.from(v).toString("latin1") : v,
        );
        expect(everything).toContain("made ***");
        if (h.database.dialect === "sqlite") {
          const files = await sql<{ file: string }>`PRAGMA database_list`.execute(h.database.db);
          for (const { file } of files.rows) {
            if (!file) continue;
            for (const f of [file, `${file}-wal`]) {
              if (existsSync(f)) everything += readFileSync(f).toString("utf8");
            }
          }
        }
        for (const form of sweepForms()) expect(everything).not.toContain(form);
      } finally {
        delete process.env.GANTRY_TEST_SWEEP_SECRET;
      }
    });
  });
}
