// biome-ignore-all lint/suspicious/noTemplateCurlyInString: workflows in these tests are full of ${{ }}.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fireScheduleNow } from "../scheduler/fire-now.js";
import { MIN, schedulerFixture, T0 } from "../scheduler/scheduler-suite.js";
import { scheduleFires } from "../scheduler/status.js";
import { syncSchedules } from "../scheduler/sync.js";
import { withUnitOfWork } from "../service/unit-of-work.js";
import type { Database } from "../store/database.js";
import { childRunsOf } from "../store/queries/child-runs.js";
import { getTriggerEvent } from "../store/queries/trigger-events.js";
import { createRunInUnit } from "../testing/operations.js";
import { runView } from "../testing/service-harness.js";
import { deliverEvent } from "../triggers/deliver.js";

/**
 * The values a starter gives `options_from` inputs are checked against the current options however a
 * run starts, on each store (start-check.test.ts: SQLite, start-check.services.test.ts: PostgreSQL).
 * The options come from an HTTP server of the test's, whose list the test changes.
 */
export function describeOptionsOnStart(name: string, open: () => Promise<Database>): void {
  describe(`options checked at every start, on ${name}`, () => {
    const f = schedulerFixture(open);
    let http: Server;
    let url = "";
    let regions = ["eu", "us"];

    beforeAll(async () => {
      http = createServer((_req, res) => {
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify(regions));
      });
      await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
      url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/regions`;
    });
    afterAll(async () => {
      await new Promise((resolve) => http?.close(resolve));
    });

    /** A workflow whose `region` takes its options from the test's server, cached for `cache`. */
    const workflow = (wf: string, extra = "", cache = "1s") =>
      `name: ${wf}\ninputs:\n  region: {type: choice, options_from: {http: "${url}?wf=${wf}", cache: ${cache}}}\n${extra}steps:\n  a: {run: "true"}\n`;

    it("a schedule whose value is no longer an option records its fire as failed, naming the value and the options", async () => {
      regions = ["eu", "us"];
      await f.register({
        "nightly.yaml": workflow(
          "nightly",
          'on:\n  schedule:\n    - {cron: "* * * * *", inputs: {region: eu}}\n',
        ),
        "plain.yaml":
          'name: plain\non:\n  schedule:\n    - {cron: "* * * * *"}\nsteps:\n  a: {run: "true"}\n',
      });
      await withUnitOfWork(f.ctx, (tx) => syncSchedules(f.ctx, tx));
      const s = f.scheduler({ lanes: 1, sync: false });
      await s.start();
      await f.at(T0 + MIN, s);
      expect(await f.history("nightly:0")).toEqual(["1m:fired"]);
      regions = ["us", "ap"];
      await f.at(T0 + 2 * MIN, s);
      expect(await f.history("nightly:0")).toEqual(["1m:fired", "2m:failed"]);
      expect((await scheduleFires(f.ctx, "nightly:0"))[0]?.reason).toBe(
        `not started: inputs.region: 'eu' is not one of the current options ("us", "ap")`,
      );
      // The other schedule of the batch fires regardless.
      expect(await f.history("plain:0")).toEqual(["1m:fired", "2m:fired"]);
      expect((await f.runsOf("nightly:0")).length).toBe(1);
      // Fired by hand, the same schedule is refused the same way.
      await expect(fireScheduleNow(f.ctx, "nightly:0")).rejects.toThrow(
        `inputs.region: 'eu' is not one of the current options ("us", "ap")`,
      );
    });

    it("a trigger's event with a value that is no longer an option fails, recorded with the reason", async () => {
      regions = ["eu"];
      await f.register({ "consumer.yaml": workflow("consumer") });
      const target = {
        id: "consumer:rabbitmq:0",
        workflow: "consumer",
        kind: "rabbitmq" as const,
        inputs: { region: "${{ trigger.payload.region }}" },
      };
      const ok = await deliverEvent(f.ctx, target, { payload: { region: "eu" }, meta: {}, key: "k1" });
      expect(ok.status).toBe("started");
      const stale = await deliverEvent(f.ctx, target, { payload: { region: "mars" }, meta: {}, key: "k2" });
      expect(stale).toEqual({
        status: "failed",
        error: `inputs.region: 'mars' is not one of the current options ("eu")`,
      });
      expect((await getTriggerEvent(f.h.database.db, target.id, "k2"))?.error).toBe(
        `inputs.region: 'mars' is not one of the current options ("eu")`,
      );
    });

    it("a parent run's sub-workflow step with a value that is no longer an option fails, saying so", async () => {
      regions = ["eu"];
      await f.register({
        "child.yaml": workflow("child"),
        "parent.yaml": `name: parent\ninputs:\n  region: {type: string}\nsteps:\n  call:\n    uses: workflow:child\n    with: {region: "\${{ inputs.region }}"}\n`,
      });
      // The worker runs on the real clock; so does this context.
      await f.h.worker();
      const good = await createRunInUnit(f.h.ctx, { workflow: "parent", inputs: { region: "eu" } });
      const bad = await createRunInUnit(f.h.ctx, { workflow: "parent", inputs: { region: "moon" } });
      const failed = await f.h.waitForRun(bad.id, ["failed", "succeeded"], 30_000);
      expect(runView(failed).state?.steps.call?.items[0]?.error).toBe(
        `sub-workflow 'child': inputs.region: 'moon' is not one of the current options ("eu")`,
      );
      expect(await childRunsOf(f.h.database.db, bad.id)).toEqual([]);
      expect((await childRunsOf(f.h.database.db, good.id)).length).toBe(1);
    });
  });
}
