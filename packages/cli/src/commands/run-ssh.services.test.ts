// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the test holds workflow expressions
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSshd, type TestSshd } from "../../../engine/src/testing/sshd.js";
import { tempDir } from "../../../engine/src/testing/temp-dir.js";
import { gantry } from "../testing/gantry-process.js";

/** `gantry run` with no server: nodes from gantry.yaml, steps on Debian's sshd, items in --json. */
describe("gantry run with ssh steps", () => {
  const tmp = tempDir("gantry-run-ssh-");
  let sshd: TestSshd;

  beforeAll(async () => {
    sshd = await startSshd(tmp.dir);
    const knownHosts = tmp.write("known_hosts", `[127.0.0.1]:${sshd.port} ${sshd.hostKey}\n`);
    tmp.write(
      "gantry.yaml",
      [
        `known_hosts: ${path.basename(knownHosts)}`,
        `ssh: {user: ${sshd.user}, ssh_key: "ref+file://${sshd.clientKeyFile}", connect_timeout: 30s}`,
        "nodes:",
        `  - {name: app-1, host: 127.0.0.1, port: ${sshd.port}, tags: [app]}`,
        `  - {name: app-2, host: 127.0.0.1, port: ${sshd.port}, tags: [app]}`,
        "  - {file: more.ini}",
        "",
      ].join("\n"),
    );
    tmp.write("more.ini", `[db]\ndb-1 ansible_host=127.0.0.1 ansible_port=${sshd.port} role=primary\n`);
    tmp.write(
      "wf.yaml",
      [
        "inputs: {target: {type: nodes, default: 'tags:app'}}",
        "steps:",
        "  uptime:",
        "    runner: {type: ssh, nodes: '${{ inputs.target }}', max_parallel: 2}",
        '    run: echo "up on $GANTRY_NODE_NAME ${GANTRY_NODE_ATTR_ROLE:-}"; echo "name=$GANTRY_NODE_NAME" >> "$GANTRY_OUTPUT"',
        "",
      ].join("\n"),
    );
  });

  afterAll(async () => {
    await sshd?.stop();
    tmp.cleanup();
  });

  it("runs on each chosen node and reports every node as an item", async () => {
    const result = await gantry(["run", "wf.yaml", "--json"], { cwd: tmp.dir });
    expect(result.stderr).toContain("up on app-1");
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.steps.uptime.items).toEqual([
      { item: "app-1", status: "succeeded", attempts: 1, outputs: { name: "app-1" }, exit_code: 0 },
      { item: "app-2", status: "succeeded", attempts: 1, outputs: { name: "app-2" }, exit_code: 0 },
    ]);
    expect(report.steps.uptime.outputs).toEqual({ name: ["app-1", "app-2"] });
  });

  it("takes the selector from an input, checked before anything runs", async () => {
    const db = await gantry(["run", "wf.yaml", "--json", "--input", "target=tags:db"], { cwd: tmp.dir });
    expect(db.code).toBe(0);
    expect(db.stderr).toContain("up on db-1 primary");
    const bad = await gantry(["run", "wf.yaml", "--input", "target=tags:db or"], { cwd: tmp.dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(
      `wf.yaml: input 'target': "tags:db or" is not a node selector: expected a filter (field:value, a node name, or *) at the end (column 11)`,
    );
  });
});
