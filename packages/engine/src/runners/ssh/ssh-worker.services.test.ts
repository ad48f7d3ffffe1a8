// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the test holds workflow expressions
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalLogArchive } from "../../logs/local-archive.js";
import { readLogLines } from "../../logs/reader.js";
import { NodeInventory } from "../../nodes/inventory.js";
import { registerFolder } from "../../service/register-folder.js";
import { listStepSummaries } from "../../store/queries/step-summaries.js";
import { sqliteDatabase } from "../../testing/databases.js";
import { createRunInUnit } from "../../testing/operations.js";
import { type Harness, openHarness, runView } from "../../testing/service-harness.js";
import { startSshd, type TestSshd } from "../../testing/sshd.js";
import { createRunners } from "../index.js";

/**
 * The whole path of a node step through the service: the run chooses its nodes from the inventory as it
 * starts, a worker offering ssh claims each node's job, runs it on Debian's sshd, and stores one log and
 * one status per node.
 */
describe("ssh steps through the store and a worker", () => {
  let harness: Harness;
  let sshd: TestSshd;

  beforeAll(async () => {
    harness = await openHarness(await sqliteDatabase());
    sshd = await startSshd(harness.tmp.dir);
    const node = (name: string, tags: string[]) => ({
      name,
      host: "127.0.0.1",
      port: sshd.port,
      user: sshd.user,
      tags,
      attributes: { role: tags[0] as string },
      ssh_key: `ref+file://${sshd.clientKeyFile}`,
      host_key: sshd.hostKey,
    });
    harness.ctx.nodes = new NodeInventory({
      baseDir: harness.tmp.dir,
      entries: [node("web-1", ["web"]), node("web-2", ["web"]), node("db-1", ["db"])],
    });
    harness.tmp.write(
      "flows/deploy.yaml",
      [
        "inputs: {role: {type: string, default: web}}",
        "steps:",
        "  deploy:",
        "    runner: {type: ssh, nodes: 'tags:${{ inputs.role }}', max_parallel: 2}",
        "    run: |",
        '      echo "deploying on $GANTRY_NODE_NAME as $GANTRY_NODE_ATTR_ROLE"',
        '      echo "host=$GANTRY_NODE_NAME" >> "$GANTRY_OUTPUT"',
        "  report:",
        "    needs: deploy",
        "    run: echo '${{ join(steps.deploy.outputs.host, ' ') }}'",
        "  checked:",
        "    needs: deploy",
        "    runner: {type: ssh, nodes: 'db-1'}",
        "    steps:",
        "      - run: echo ok > state.txt",
        '      - run: echo "### $(cat state.txt) on $GANTRY_NODE_NAME" >> "$GANTRY_STEP_SUMMARY"',
        '      - run: echo "- and a job of steps" >> "$GITHUB_STEP_SUMMARY"',
        "",
      ].join("\n"),
    );
    const { problems } = await registerFolder(harness.ctx, path.join(harness.tmp.dir, "flows"));
    expect(problems).toEqual([]);
    await harness.worker({ runner: createRunners(["local", "ssh"]) });
  });

  afterAll(async () => {
    await harness?.close();
    await sshd?.stop();
  });

  it("keeps what a step on a node writes to $GANTRY_STEP_SUMMARY, in a job of steps too", async () => {
    const { id } = await createRunInUnit(harness.ctx, { workflow: "deploy", inputs: {} });
    const row = await harness.waitForRun(id, ["succeeded", "failed"], 120_000);
    expect(runView(row).status).toBe("succeeded");
    const summaries = await listStepSummaries(harness.database.db, id);
    expect(summaries.map((s) => [s.step, s.markdown])).toEqual([
      ["checked", "### ok on db-1\n- and a job of steps\n"],
    ]);
  });

  it("runs once per chosen node, with a log and a status for each", async () => {
    const { id } = await createRunInUnit(harness.ctx, { workflow: "deploy", inputs: {} });
    const row = await harness.waitForRun(id, ["succeeded", "failed"], 120_000);
    const view = runView(row);
    expect(view.status).toBe("succeeded");
    const info = JSON.parse(row.info_json);
    // The run keeps the nodes it chose, their keys only as references.
    expect(info.nodes.selected).toEqual({
      "tags:web": { names: ["web-1", "web-2"] },
      "db-1": { names: ["db-1"] },
    });
    expect(info.nodes.records["web-1"].ssh_key).toBe(`ref+file://${sshd.clientKeyFile}`);
    expect(row.info_json).not.toContain("PRIVATE KEY");
    const deploy = view.state?.steps.deploy as unknown as { items: Array<{ item: string; status: string }> };
    expect(deploy.items.map((i) => [i.item, i.status])).toEqual([
      ["web-1", "succeeded"],
      ["web-2", "succeeded"],
    ]);
    const lines = await readLogLines(harness.database.db, new LocalLogArchive(harness.tmp.dir), id);
    const text = (step: string, item: number) =>
      lines.filter((l) => l.step === step && l.item === item).map((l) => l.text);
    expect(text("deploy", 0)).toEqual(["deploying on web-1 as web"]);
    expect(text("deploy", 1)).toEqual(["deploying on web-2 as web"]);
    expect(text("report", 0)).toEqual(["web-1 web-2"]);
    const attempts = await harness.attempts(id, "deploy");
    expect(attempts.map((a) => [a.item_index, a.status])).toEqual([
      [0, "succeeded"],
      [1, "succeeded"],
    ]);
  });

  it("fails the step, saying why, when the nodes chosen at the start are none", async () => {
    const { id } = await createRunInUnit(harness.ctx, { workflow: "deploy", inputs: { role: "gpu" } });
    const row = await harness.waitForRun(id, ["succeeded", "failed"], 30_000);
    expect(runView(row).state?.steps.deploy).toMatchObject({
      status: "failed",
      error: "runner.nodes: 'tags:gpu' matched none of the 3 nodes in the inventory",
    });
  });
});
