// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the test holds workflow expressions
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { registerFolder } from "../service/register-folder.js";
import { sqliteDatabase } from "../testing/databases.js";
import { createRunInUnit } from "../testing/operations.js";
import { type Harness, openHarness, runView } from "../testing/service-harness.js";

const SECRET = "job-secret-value-4711";

// What a job's steps print or write as outputs reaches the store masked, in the job's outputs and in
// each of its steps' records, as a step's own outputs do.
describe("a job's secrets, through a worker", () => {
  let h: Harness;
  beforeAll(async () => {
    vi.stubEnv("GANTRY_TEST_JOB_SECRET", SECRET);
    h = await openHarness(await sqliteDatabase());
    h.tmp.write(
      "wf/secretive.yaml",
      `
name: secretive
secrets:
  token: ref+env://GANTRY_TEST_JOB_SECRET
steps:
  job:
    steps:
      - id: leak
        env: {T: "\${{ secrets.token }}"}
        run: |
          echo "t=$T" >> "$GANTRY_OUTPUT"
          echo "::add-mask::masked-by-the-step"
          echo "m=masked-by-the-step" >> "$GANTRY_OUTPUT"
    outputs:
      t: \${{ steps.leak.outputs.t }}
      m: \${{ steps.leak.outputs.m }}
`,
    );
    const { problems } = await registerFolder(h.ctx, path.join(h.tmp.dir, "wf"));
    expect(problems).toEqual([]);
    await h.worker();
  });
  afterAll(async () => {
    await h?.close();
    vi.unstubAllEnvs();
  });

  it("masks them in the job's outputs and in its steps' records", async () => {
    const { id } = await createRunInUnit(h.ctx, { workflow: "secretive", inputs: {} });
    const row = await h.waitForRun(id, ["succeeded", "failed"], 30_000);
    expect(row.status).toBe("succeeded");
    const job = runView(row).state?.steps.job as unknown as {
      outputs: Record<string, unknown>;
      items: Array<{ steps?: Array<{ outputs: Record<string, unknown> }> }>;
    };
    expect(job.outputs).toEqual({ t: "***", m: "***" });
    expect(job.items[0]?.steps?.[0]?.outputs).toEqual({ t: "***", m: "***" });
    const stored = JSON.stringify(await h.database.db.selectFrom("runs").selectAll().execute());
    expect(stored).not.toContain(SECRET);
    expect(stored).not.toContain("masked-by-the-step");
  });
});
