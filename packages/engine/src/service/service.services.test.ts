import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { postgresDatabase } from "../testing/databases.js";
import { createRunInUnit } from "../testing/operations.js";
import { type Harness, openHarness } from "../testing/service-harness.js";
import { registerFolder } from "./register-folder.js";
import { describeService } from "./service-suite.js";

describeService("PostgreSQL", postgresDatabase);

describe("concurrency groups under concurrent requests on PostgreSQL", () => {
  let h: Harness;

  beforeAll(async () => {
    h = await openHarness(await postgresDatabase());
    for (const policy of ["queue", "skip"]) {
      h.tmp.write(
        `wf/${policy}.yaml`,
        `name: race-${policy}\nconcurrency: { group: race-${policy}, policy: ${policy} }\nsteps:\n  a:\n    run: "true"\n`,
      );
    }
    expect((await registerFolder(h.ctx, `${h.tmp.dir}/wf`)).problems).toEqual([]);
  });
  afterAll(async () => {
    await h?.close();
  });
  afterEach(async () => {
    await h.reset();
  });

  for (const policy of ["queue", "skip"] as const) {
    it(`starts one run of a '${policy}' group when several are created at the same moment`, async () => {
      const created = await Promise.all(
        Array.from({ length: 8 }, () => createRunInUnit(h.ctx, { workflow: `race-${policy}` })),
      );
      const waiting = policy === "queue" ? "pending" : "skipped";
      expect(created.filter((c) => c.status === "queued")).toHaveLength(1);
      expect(created.filter((c) => c.status === waiting)).toHaveLength(7);
      const jobs = await h.database.db.selectFrom("jobs").select("run_id").execute();
      expect(jobs).toHaveLength(1);
    });
  }
});
