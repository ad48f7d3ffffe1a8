import { execFileSync } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import { tempDir } from "../testing/temp-dir.js";
import { expandHostPattern } from "./ansible.js";
import { parseInventory } from "./inventory.js";

const INI = `# hosts outside any group
jump.example.com ansible_user=admin

[web]
web[01:03].example.com ansible_user=deploy
web-legacy.example.com:2222 ansible_host=10.0.0.9 http_port=8080 # a comment
quoted.example.com motd="hello world" empty=''

[db]
db-[a:b].example.com

[eu:children]
web
db

[eu:vars]
region=eu-west-1
http_port=80
ansible_ssh_private_key_file=/etc/keys/eu.pem
db_password=hunter2

[web:vars]
http_port=443
`;

const YAML = `all:
  hosts:
    jump.example.com: {ansible_user: admin}
  vars:
    owner: ops
  children:
    eu:
      vars: {region: eu-west-1, http_port: 80, ansible_ssh_private_key_file: /etc/keys/eu.pem}
      children:
        web:
          vars: {http_port: 443}
          hosts:
            web[01:03].example.com: {ansible_user: deploy}
            web-legacy.example.com:
              ansible_host: 10.0.0.9
              ansible_port: 2222
              http_port: 8080
              api_token: !vault |
                $ANSIBLE_VAULT;1.1;AES256
                6162636465
        db:
          hosts:
            db-a.example.com:
            db-b.example.com:
`;

/** What Ansible itself makes of an inventory: each host's groups (transitively) and merged variables. */
function ansibleSays(file: string) {
  const out = JSON.parse(execFileSync("ansible-inventory", ["-i", file, "--list"], { encoding: "utf8" })) as {
    _meta: { hostvars: Record<string, Record<string, unknown>> };
    [group: string]: { hosts?: string[]; children?: string[] } | unknown;
  };
  const groups = Object.entries(out).filter(([name]) => name !== "_meta") as Array<
    [string, { hosts?: string[]; children?: string[] }]
  >;
  const members = (name: string): Set<string> => {
    const g = groups.find(([n]) => n === name)?.[1];
    return new Set([...(g?.hosts ?? []), ...(g?.children ?? []).flatMap((c) => [...members(c)])]);
  };
  const hosts: Record<string, { tags: string[]; vars: Record<string, unknown> }> = {};
  for (const [host, vars] of Object.entries(out._meta.hostvars)) {
    const tags = groups
      .map(([n]) => n)
      .filter((n) => n !== "all" && n !== "ungrouped" && members(n).has(host))
      .sort();
    hosts[host] = { tags, vars };
  }
  return hosts;
}

describe("Ansible inventories", () => {
  const files = tempDir("gantry-ansible-");
  afterAll(() => files.cleanup());

  for (const [form, text, name] of [
    ["INI", INI, "hosts.ini"],
    ["YAML", YAML, "hosts.yml"],
  ] as const) {
    it(`reads the ${form} form as ansible-inventory does`, () => {
      const file = files.write(name, text);
      const expected = ansibleSays(file);
      const { nodes, problems } = parseInventory(
        text,
        file,
        name.endsWith(".yml") ? "ansible-yaml" : "ansible",
      );
      expect(problems).toEqual([]);
      expect(nodes.map((n) => n.name).sort()).toEqual(Object.keys(expected).sort());
      for (const node of nodes) {
        const { tags, vars } = expected[node.name] as (typeof expected)[string];
        expect(node.tags, node.name).toEqual(tags);
        expect(node.host, node.name).toBe(String(vars.ansible_host ?? node.name));
        expect(node.port, node.name).toBe(vars.ansible_port);
        expect(node.user, node.name).toBe(vars.ansible_user);
        if (vars.ansible_ssh_private_key_file) {
          expect(node.ssh_key).toBe(`ref+file://${String(vars.ansible_ssh_private_key_file)}`);
        }
        // Every other variable is an attribute, as text, except those that hold secrets.
        const attributes = Object.fromEntries(
          Object.entries(vars)
            .filter(([k]) => !/^ansible_(host|port|user|ssh_private_key_file)$/.test(k))
            .filter(([k]) => !/pass|token/.test(k))
            .map(([k, v]) => [k, String(v)]),
        );
        expect(node.attributes, node.name).toEqual(attributes);
      }
      // The checks above compared real values, not empty ones.
      expect(nodes.find((n) => n.name === "web-legacy.example.com")).toMatchObject({
        host: "10.0.0.9",
        port: 2222,
        tags: ["eu", "web"],
        attributes: { http_port: "8080", region: "eu-west-1" },
      });
    });
  }

  it("keeps secrets out of attributes", () => {
    const { nodes } = parseInventory(INI, "hosts.ini", "ansible");
    expect(JSON.stringify(nodes)).not.toContain("hunter2");
  });

  it("expands ranges with their width and steps, and keeps IPv6 addresses whole", () => {
    expect(expandHostPattern("web[08:10]").map((h) => h.name)).toEqual(["web08", "web09", "web10"]);
    expect(expandHostPattern("n[1:7:3]:2200")).toEqual([
      { name: "n1", port: 2200 },
      { name: "n4", port: 2200 },
      { name: "n7", port: 2200 },
    ]);
    expect(expandHostPattern("fe80::1")).toEqual([{ name: "fe80::1" }]);
    expect(() => expandHostPattern("w[1:b]")).toThrow(/not a range/);
  });

  it("names the line of an INI problem", () => {
    const { problems } = parseInventory("[web:hosts]\nx\n[db]\ny 'open\n", "bad.ini", "ansible");
    expect(problems).toEqual([
      "bad.ini: line 1: '[web:hosts]': a section is [group], [group:vars] or [group:children]",
      "bad.ini: line 4: the quote ' is never closed",
    ]);
  });
});
