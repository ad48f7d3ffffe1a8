import { execFileSync } from "node:child_process";
import { readFileSync, utimesSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { tempDir } from "../testing/temp-dir.js";
import type { NodeEntry } from "./entries.js";
import { fingerprint, parsePublicKey } from "./host-key.js";
import { NodeInventory } from "./inventory.js";
import { appendKnownHost, keysFor, parseKnownHosts, readKnownHosts } from "./known-hosts.js";

const files = tempDir("gantry-inventory-");
afterAll(() => files.cleanup());

/** A real key pair made by ssh-keygen; returns the public key line. */
function keygen(name: string, type = "ed25519"): string {
  const file = path.join(files.dir, name);
  execFileSync("ssh-keygen", ["-q", "-t", type, "-N", "", "-C", name, "-f", file]);
  return readFileSync(`${file}.pub`, "utf8").trim();
}

describe("the node inventory of gantry.yaml", () => {
  it("reads nodes with defaults, absolute key references and validated host keys", async () => {
    const hostKey = keygen("host-a");
    const inventory = new NodeInventory({
      baseDir: "/etc/gantry",
      defaults: { user: "deploy", ssh_key: "ref+file://keys/default" },
      entries: [
        {
          name: "web-1",
          host: "10.0.0.11",
          tags: ["web", "eu"],
          attributes: { rack: 7, ssd: true },
          host_key: hostKey,
        },
        { name: "web-2", port: 2222, user: "admin", ssh_key: "ref+sops://keys.yaml#/web" },
      ],
    });
    const { nodes, problems, origins } = await inventory.current();
    expect(problems).toEqual([]);
    expect(nodes).toEqual([
      {
        name: "web-1",
        host: "10.0.0.11",
        tags: ["web", "eu"],
        attributes: { rack: "7", ssd: "true" },
        user: "deploy",
        ssh_key: "ref+file:///etc/gantry/keys/default",
        // The comment is dropped: what is compared is the type and the key.
        host_key: [hostKey.split(" ").slice(0, 2).join(" ")],
      },
      {
        name: "web-2",
        host: "web-2",
        tags: [],
        attributes: {},
        port: 2222,
        user: "admin",
        ssh_key: "ref+sops:///etc/gantry/keys.yaml#/web",
      },
    ]);
    expect(origins).toEqual({ "web-1": "gantry.yaml", "web-2": "gantry.yaml" });
  });

  it("refuses a key written in clear, a bad host key and a duplicate name, keeping the rest", async () => {
    const inventory = new NodeInventory({
      baseDir: files.dir,
      entries: [
        { name: "a", password: "hunter2" },
        { name: "b", host_key: "ssh-ed25519 AAAAB3NzaC1yc2EAAAADAQABAAABAQ" },
        { name: "c" },
        { name: "c", host: "other" },
        { file: "x.yaml", name: "d" } as unknown as NodeEntry,
      ],
    });
    const { nodes, problems } = await inventory.current();
    expect(nodes.map((n) => n.name)).toEqual(["c"]);
    expect(problems).toEqual([
      "gantry.yaml: nodes.0.password: password: must be a secret reference (ref+file://…, ref+sops://…, ref+vault://…): a value written here would be kept with every run",
      "gantry.yaml: nodes.1.host_key: host_key: the key's data is a 'ssh-rsa' key, not 'ssh-ed25519'",
      "gantry.yaml: nodes.4.name: 'name' belongs to a node; an entry that includes a file takes only file, source, path and format",
      "gantry.yaml: node 'c' is already defined by gantry.yaml; this one is ignored",
    ]);
  });

  it("reads node files and Ansible inventories, again when they change, keeping the last good read", async () => {
    const list = files.write("more/nodes.yaml", "- {name: db-1, tags: [db], ssh_key: ref+file://db.key}\n");
    files.write("more/hosts", "[cache]\nredis-1 ansible_host=10.1.0.5\n");
    let now = 0;
    const inventory = new NodeInventory({
      baseDir: files.dir,
      entries: [{ name: "web-1" }, { file: "more/nodes.yaml" }, { file: "more/hosts" }],
      now: () => now,
    });
    const first = await inventory.current();
    expect(first.problems).toEqual([]);
    expect(first.nodes.map((n) => [n.name, n.host, n.tags, n.ssh_key])).toEqual([
      ["web-1", "web-1", [], undefined],
      ["db-1", "db-1", ["db"], `ref+file://${files.dir}/more/db.key`],
      ["redis-1", "10.1.0.5", ["cache"], undefined],
    ]);
    expect(first.origins["db-1"]).toBe(list);

    // A broken file: its nodes as last read stay, and the problem says where.
    files.write("more/nodes.yaml", "- {name: db-1, tags: [db]\n");
    utimesSync(list, new Date(), new Date(Date.now() + 5000));
    now += 500;
    expect((await inventory.current()).problems).toEqual([]);
    now += 1000;
    const broken = await inventory.current();
    expect(broken.nodes.map((n) => n.name)).toEqual(["web-1", "db-1", "redis-1"]);
    expect(broken.problems[0]).toMatch(new RegExp(`^${list}:2:1: YAML: `));
    expect(broken.problems[1]).toBe(`${list}: its nodes as last read are kept`);

    files.write("more/nodes.yaml", "- {name: db-2, port: 0}\n- {name: db-3}\n");
    utimesSync(list, new Date(), new Date(Date.now() + 10_000));
    now += 1000;
    const fixed = await inventory.current();
    expect(fixed.nodes.map((n) => n.name)).toEqual(["web-1", "db-3", "redis-1"]);
    expect(fixed.problems).toEqual([`${list}:1:22: 0.port: must be >= 1`]);
  });

  it("reads a file of a git source at its commit and refuses relative key references there", async () => {
    const inventory = new NodeInventory({
      baseDir: files.dir,
      entries: [{ source: "infra", path: "inventory/nodes.yaml" }],
      readSourceFile: async (source, file) => {
        expect([source, file]).toEqual(["infra", "inventory/nodes.yaml"]);
        return {
          commit: "0123456789abcdef0123456789abcdef01234567",
          text: "- {name: a, ssh_key: ref+env://A_KEY}\n- {name: b, ssh_key: ref+file://keys/b}\n",
        };
      },
    });
    const { nodes, problems, origins } = await inventory.current();
    expect(nodes.map((n) => n.name)).toEqual(["a"]);
    expect(origins.a).toBe("infra:inventory/nodes.yaml@0123456789ab");
    expect(problems).toEqual([
      "infra:inventory/nodes.yaml@0123456789ab:2:22: ssh_key: a relative file reference cannot be read from a file of a git source; use an absolute path or another provider",
    ]);
  });
});

describe("known_hosts", () => {
  it("finds keys by plain, hashed, wildcard and [host]:port names, as ssh-keygen -F does", async () => {
    const a = keygen("ka");
    const b = keygen("kb", "ecdsa");
    const c = keygen("kc", "rsa");
    const file = files.write(
      "known_hosts",
      [
        `web-1.example.com,10.0.0.11 ${a}`,
        `[web-2.example.com]:2222 ${b}`,
        `*.db.example.com,!secret.db.example.com ${c}`,
        `@revoked * ${b}`,
        "# a comment",
        "",
      ].join("\n"),
    );
    // Hash it the way Debian's ssh does (HashKnownHosts yes): the names become HMAC-SHA1 digests.
    execFileSync("ssh-keygen", ["-q", "-H", "-f", file]);
    const hashed = readFileSync(file, "utf8");
    expect(hashed).not.toContain("web-1.example.com");
    const { entries, problems } = parseKnownHosts(hashed);
    expect(problems).toEqual([]);
    const blobOf = (line: string) => parsePublicKey(line).blob;
    expect(keysFor(entries, "web-1.example.com", 22).keys.map((e) => e.blob)).toEqual([blobOf(a)]);
    expect(keysFor(entries, "WEB-1.example.com", 22).keys).toHaveLength(1);
    expect(keysFor(entries, "10.0.0.11", 22).keys).toHaveLength(1);
    expect(keysFor(entries, "web-1.example.com", 2222).keys).toHaveLength(0);
    expect(keysFor(entries, "web-2.example.com", 2222).keys.map((e) => e.blob)).toEqual([blobOf(b)]);
    // ssh-keygen -H leaves wildcard patterns as they are, since they cannot be hashed.
    expect(keysFor(entries, "pg.db.example.com", 22).keys.map((e) => e.type)).toEqual(["ssh-rsa"]);
    expect(keysFor(entries, "secret.db.example.com", 22).keys).toHaveLength(0);
    expect(keysFor(entries, "other", 22).revoked).toEqual([blobOf(b)]);

    // What ssh-keygen -F finds for the hashed file agrees.
    const found = execFileSync("ssh-keygen", ["-F", "[web-2.example.com]:2222", "-f", file], {
      encoding: "utf8",
    });
    expect(found).toContain(b.split(" ")[1]);
  });

  it("pins a key on first use in the form ssh reads back", async () => {
    const key = parsePublicKey(keygen("kd"));
    const file = path.join(files.dir, "pinned_hosts");
    await appendKnownHost(file, "Node-9.example.com", 2200, key.blob);
    const { entries } = await readKnownHosts(file);
    expect(keysFor(entries, "node-9.example.com", 2200).keys.map((e) => fingerprint(e.blob))).toEqual([
      fingerprint(key.blob),
    ]);
    const found = execFileSync("ssh-keygen", ["-F", "[node-9.example.com]:2200", "-f", file], {
      encoding: "utf8",
    });
    expect(found).toContain(key.blob.toString("base64"));
    // The fingerprint is ssh-keygen's.
    const listed = execFileSync("ssh-keygen", ["-l", "-f", file], { encoding: "utf8" });
    expect(listed).toContain(fingerprint(key.blob));
  });

  it("says which lines it cannot read", () => {
    expect(parseKnownHosts("host ssh-ed25519 AAAA\n@weird x y z\njust-one-field\n").problems).toEqual([
      "line 1: the key is not a valid 'ssh-ed25519' key",
      "line 2: unknown marker '@weird'",
      "line 3: expected 'hosts keytype base64-key'",
    ]);
  });
});
