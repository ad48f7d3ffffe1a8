import path from "node:path";
import { describe, expect, it } from "vitest";
import { gantryYamlFolder } from "../testing/gantry-yaml.js";

describe("gantry.yaml nodes, known_hosts and ssh", () => {
  const folder = gantryYamlFolder();
  const load = folder.load;

  it("keeps the inventory's references for the worker and reads the client's settings", async () => {
    const config = await load(`nodes:
  - {name: web-1, host: 10.0.0.11, tags: [web, eu], ssh_key: ref+sops://keys.yaml#/web, host_key: "ssh-ed25519 AAAA"}
  - file: inventory/hosts.ini
  - {source: infra, path: nodes.yaml}
known_hosts: ssh/known_hosts
ssh:
  user: deploy
  ssh_key: ref+env://DEPLOY_KEY
  connect_timeout: 5s
  keepalive_interval: 30
  keepalive_count_max: 4
  accept_new_host_keys: true
`);
    expect(config.nodes).toEqual({
      entries: [
        {
          name: "web-1",
          host: "10.0.0.11",
          tags: ["web", "eu"],
          ssh_key: "ref+sops://keys.yaml#/web",
          host_key: "ssh-ed25519 AAAA",
        },
        { file: "inventory/hosts.ini" },
        { source: "infra", path: "nodes.yaml" },
      ],
      defaults: { user: "deploy", ssh_key: "ref+env://DEPLOY_KEY" },
      client: {
        knownHostsFile: path.join(folder.dir, "ssh/known_hosts"),
        acceptNewHostKeys: true,
        connectTimeoutMs: 5000,
        keepaliveIntervalMs: 30_000,
        keepaliveCountMax: 4,
      },
    });
    // With nodes to reach, a worker offers ssh unless told otherwise.
    expect(config.worker.runners).toEqual(["local", "ssh"]);
    expect((await load("nodes: [{name: a}]\nworker: {runners: [local]}\n")).worker.runners).toEqual([
      "local",
    ]);
    expect((await load("{}\n")).worker.runners).toEqual(["local"]);
  });

  it("points at a node entry the schema refuses, and refuses pinning without a file", async () => {
    await expect(load("nodes:\n  - {name: a, port: x}\n")).rejects.toThrow(
      /gantry\.yaml:2:21: nodes\.0\.port: must be an integer, got .x./,
    );
    await expect(load("nodes:\n  - {name: a, sshkey: x}\n")).rejects.toThrow(
      /gantry\.yaml:2:15: nodes\.0: unknown key 'sshkey' \(did you mean 'ssh_key'\?\)/,
    );
    await expect(load("ssh: {accept_new_host_keys: true}\n")).rejects.toThrow(
      "ssh.accept_new_host_keys: needs known_hosts: (the file new host keys are pinned in)",
    );
  });
});
