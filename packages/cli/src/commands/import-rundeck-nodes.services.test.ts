import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSshd, type TestSshd } from "../../../engine/src/testing/sshd.js";
import { tempDir } from "../../../engine/src/testing/temp-dir.js";
import { gantry } from "../testing/gantry-process.js";

interface RunJson {
  status: string;
  steps: Record<string, { status: string; items?: Array<{ item: string; status: string; outputs: object }> }>;
}

/**
 * A Rundeck job with a node filter, imported and run with `gantry run` on nodes served by Debian's sshd:
 * the filter picks the nodes, each step runs on each of them, and RD_NODE_* name the node it runs on.
 */
describe("a Rundeck job with a node filter, imported and run on SSH nodes", () => {
  const tmp = tempDir("gantry-import-rundeck-nodes-");
  let sshd: TestSshd;

  beforeAll(async () => {
    sshd = await startSshd(tmp.dir);
    tmp.write("known_hosts", `[127.0.0.1]:${sshd.port} ${sshd.hostKey}\n`);
    tmp.write(
      "gantry.yaml",
      [
        "known_hosts: known_hosts",
        `ssh: {user: ${sshd.user}, ssh_key: "ref+file://${sshd.clientKeyFile}", connect_timeout: 30s}`,
        "nodes:",
        `  - {name: web-1, host: 127.0.0.1, port: ${sshd.port}, tags: [web, eu], attributes: {rack: r1}}`,
        `  - {name: web-2, host: 127.0.0.1, port: ${sshd.port}, tags: [web, us], attributes: {rack: r2}}`,
        `  - {name: web-3, host: 127.0.0.1, port: ${sshd.port}, tags: [web, eu, canary]}`,
        "",
      ].join("\n"),
    );
    tmp.write(
      "jobs.yaml",
      `- name: restart web
  nodefilters:
    filter: "tags: web+eu"
    excludeFilter: "tags: canary"
    dispatch: {threadcount: 2, keepgoing: false}
  sequence:
    strategy: sequential
    commands:
      - exec: echo "restart on \${node.name}"
      - script: |
          echo "rack of @node.name@ is $RD_NODE_RACK"
          echo "node=$RD_NODE_NAME" >> "$GANTRY_OUTPUT"
`,
    );
  }, 60_000);

  afterAll(async () => {
    await sshd?.stop();
    tmp.cleanup();
  });

  it("runs each step on the nodes the filter selects, one log and status per node", async () => {
    const imported = await gantry(["import", "rundeck", "jobs.yaml", "--out", "out"], { cwd: tmp.dir });
    expect(imported.code).toBe(0);
    const run = await gantry(["run", path.join("out", "restart-web.yaml"), "--json"], { cwd: tmp.dir });
    expect(run.stderr).toContain("restart on web-1");
    expect(run.stderr).toContain("rack of web-1 is r1");
    expect(run.stderr).not.toContain("web-2");
    expect(run.stderr).not.toContain("restart on web-3");
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as RunJson;
    expect(report.status).toBe("succeeded");
    expect(report.steps.step_2?.items).toEqual([
      expect.objectContaining({ item: "web-1", status: "succeeded", outputs: { node: "web-1" } }),
    ]);
  }, 180_000);
});
