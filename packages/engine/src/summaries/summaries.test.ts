import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { LocalRunner } from "../runners/local/local-runner.js";
import { registerFolder } from "../service/register-folder.js";
import { listStepSummaries } from "../store/queries/step-summaries.js";
import { sqliteDatabase } from "../testing/databases.js";
import { createRunInUnit } from "../testing/operations.js";
import { type Harness, openHarness } from "../testing/service-harness.js";
import { SUMMARY_CUT_NOTE, SUMMARY_LIMIT_BYTES } from "./limits.js";

const WORKFLOW = `
name: summaries
secrets:
  token: ref+env://GANTRY_TEST_SUMMARY_TOKEN
steps:
  report:
    env: { TOKEN: "\${{ secrets.token }}" }
    run: |
      echo "## Tests passed" >> "$GANTRY_STEP_SUMMARY"
      echo "| suite | ok |" >> "$GITHUB_STEP_SUMMARY"
      echo "| --- | --- |" >> "$GITHUB_STEP_SUMMARY"
      echo "| unit | 12 |" >> "$GITHUB_STEP_SUMMARY"
      echo "token was $TOKEN" >> "$GANTRY_STEP_SUMMARY"
  quiet:
    run: echo "nothing for the summary"
  huge:
    run: head -c 1200000 /dev/zero | tr '\\\\0' 'x' >> "$GANTRY_STEP_SUMMARY"
`;

describe("step summaries", () => {
  let h: Harness;
  const secret = "summary-secret-value-4711";

  beforeAll(async () => {
    process.env.GANTRY_TEST_SUMMARY_TOKEN = secret;
    h = await openHarness(await sqliteDatabase());
    h.tmp.write("wf/summaries.yaml", WORKFLOW);
    const { problems } = await registerFolder(h.ctx, path.join(h.tmp.dir, "wf"));
    expect(problems).toEqual([]);
  });
  afterAll(async () => {
    delete process.env.GANTRY_TEST_SUMMARY_TOKEN;
    await h?.close();
  });
  afterEach(async () => {
    await h.stopWorkers();
  });

  for (const spawner of ["inline", "helper"] as const) {
    it(`stores what steps append to $GANTRY_STEP_SUMMARY and $GITHUB_STEP_SUMMARY, masked and cut at the limit (${spawner} spawner)`, async () => {
      const runner = new LocalRunner({ tmpRoot: h.tmp.dir, spawner });
      try {
        await h.worker({ runner });
        const { id } = await createRunInUnit(h.ctx, { workflow: "summaries", inputs: {} });
        const row = await h.waitForRun(id, ["succeeded", "failed"], 30_000);
        expect(row.status).toBe("succeeded");
        const rows = await listStepSummaries(h.database.db, id);
        const byStep = Object.fromEntries(rows.map((r) => [r.step, r.markdown]));
        expect(Object.keys(byStep).sort()).toEqual(["huge", "report"]);
        expect(byStep.report).toBe(
          "## Tests passed\n| suite | ok |\n| --- | --- |\n| unit | 12 |\ntoken was ***\n",
        );
        expect(byStep.report).not.toContain(secret);
        expect(byStep.huge?.endsWith(SUMMARY_CUT_NOTE)).toBe(true);
        expect(Buffer.byteLength(byStep.huge ?? "")).toBe(
          SUMMARY_LIMIT_BYTES + Buffer.byteLength(SUMMARY_CUT_NOTE),
        );
        expect(h.errors).toEqual([]);
      } finally {
        runner.close();
      }
    });
  }
});
