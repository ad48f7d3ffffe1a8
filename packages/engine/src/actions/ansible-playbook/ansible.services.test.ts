// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the tests hold workflow and Jinja expressions
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { chooseRunNodes, type NodeRecord, type RunInfo } from "@gantry/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadWorkflow } from "../../loader/load-workflow.js";
import type { RunEvent } from "../../run/events.js";
import { runWorkflow } from "../../run/run-workflow.js";
import { LocalRunner } from "../../runners/local/local-runner.js";
import { gitRemote } from "../../testing/git-repos.js";
import { startSshd, type TestSshd } from "../../testing/sshd.js";
import { tempDir } from "../../testing/temp-dir.js";

/**
 * gantry/ansible-playbook with Debian's ansible-core, for real: a playbook checked out from a git
 * repository, run against the test's SSH node (Debian's sshd, chosen as a Gantry node) and localhost,
 * with a vaulted variable, extra variables and check mode.
 */
const tmp = tempDir("gantry-ansible-");
let sshd: TestSshd;
let repo: ReturnType<typeof gitRemote>;
const VAULT_PASSWORD = "vault-pw-4711";

beforeAll(async () => {
  sshd = await startSshd(tmp.dir);
  repo = gitRemote(path.join(tmp.dir, "repo"));
  repo.write(
    "ansible/site.yml",
    `- hosts: web
  gather_facts: false
  vars_files: [secret.yml]
  tasks:
    - name: write a file on the node
      ansible.builtin.copy:
        dest: "{{ target }}/{{ inventory_hostname }}.txt"
        content: "{{ greeting }} {{ secret_word }} from rack {{ rack }}\\n"
    - name: look, change nothing
      ansible.builtin.command: "true"
      changed_when: false
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - ansible.builtin.debug:
        msg: "localhost sees the node's rack: {{ hostvars['web-1'].rack }}"
`,
  );
  // The vaulted file is made by ansible-vault itself.
  const plain = tmp.write("secret.yml", "secret_word: swordfish\n");
  const passwordFile = tmp.write("vault-pass", `${VAULT_PASSWORD}\n`);
  execFileSync("ansible-vault", ["encrypt", "--vault-password-file", passwordFile, plain]);
  repo.write("ansible/secret.yml", readFileSync(plain, "utf8"));
  repo.commit("a playbook");
  repo.push();
});

afterAll(async () => {
  await sshd?.stop();
  tmp.cleanup();
});

function node(extra: Partial<NodeRecord> = {}): NodeRecord {
  return {
    name: "web-1",
    host: "127.0.0.1",
    port: sshd.port,
    user: sshd.user,
    tags: ["web"],
    attributes: { rack: "r7" },
    ssh_key: `ref+file://${sshd.clientKeyFile}`,
    host_key: [sshd.hostKey],
    ...extra,
  };
}

let count = 0;

async function play(withs: Record<string, unknown>, nodes: NodeRecord[] = [node()]) {
  const target = path.join(tmp.dir, `target-${++count}`);
  execFileSync("mkdir", ["-p", target]);
  const file = tmp.write(
    `wf-${count}.yaml`,
    `steps:
  play:
    uses: gantry/ansible-playbook
    with:
      repository: ${repo.url}
      playbook: ansible/site.yml
      nodes: tags:web
      vault_password: ref+env://GANTRY_TEST_VAULT
      extra_vars: {target: "${target}", greeting: hello}
${Object.entries(withs)
  .map(([k, v]) => `      ${k}: ${JSON.stringify(v)}`)
  .join("\n")}
`,
  );
  const { loaded, problems } = await loadWorkflow(file);
  expect(problems).toEqual([]);
  if (!loaded) throw new Error("not loaded");
  const base = { id: `run-${count}`, workflow: "w", attempt: 1, trigger: { type: "manual" }, inputs: {} };
  const actions = Object.fromEntries(Object.entries(loaded.actions).map(([k, v]) => [k, v.spec]));
  const info: RunInfo = { ...base, nodes: chooseRunNodes(loaded.workflow, actions, base, nodes) };
  const events: RunEvent[] = [];
  process.env.GANTRY_TEST_VAULT = VAULT_PASSWORD;
  const { report } = await runWorkflow(loaded, {
    runner: new LocalRunner({ tmpRoot: tmp.dir }),
    info,
    parallel: 1,
    onEvent: (e) => events.push(e),
  });
  delete process.env.GANTRY_TEST_VAULT;
  const lines = events.flatMap((e) => (e.type === "line" ? [e.line] : []));
  return { report, lines, target };
}

describe("gantry/ansible-playbook", () => {
  it("runs a checked-out playbook on the chosen node and localhost, and reports the recap", async () => {
    const { report, lines, target } = await play({});
    const step = report.steps.play;
    expect(step?.status, lines.join("\n")).toBe("succeeded");
    expect(readFileSync(path.join(target, "web-1.txt"), "utf8")).toBe("hello swordfish from rack r7\n");
    expect(JSON.parse(String(step?.outputs.hosts))).toEqual({
      localhost: { ok: 1, changed: 0, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 },
      "web-1": { ok: 2, changed: 1, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 },
    });
    expect(step?.outputs).toMatchObject({ ok: "3", changed: "1", failed: "0", unreachable: "0" });
    expect(step?.outputs.commit).toBe(repo.git("rev-parse", "HEAD"));
    expect(String(step?.outputs.summary)).toContain(
      "**ansible-playbook ansible/site.yml** succeeded: 2 hosts, 1 changed, 0 failed, 0 unreachable",
    );
    expect(lines.some((l) => l.includes("localhost sees the node's rack: r7"))).toBe(true);
    // The vault password never shows; the private folder with the node's key is gone.
    expect(lines.join("\n")).not.toContain(VAULT_PASSWORD);
    const command = lines.find((l) => l.includes("$ ansible-playbook")) as string;
    const inventory = /-i (\S+inventory\.json)/.exec(command)?.[1] as string;
    expect(inventory).toMatch(/gantry-ansible-/);
    expect(existsSync(path.dirname(inventory))).toBe(false);
    expect(command).toContain("--vault-password-file");
  });

  it("changes nothing in check mode, and reports what it would change", async () => {
    const { report, target } = await play({ check: true, diff: true });
    expect(report.steps.play?.status).toBe("succeeded");
    expect(report.steps.play?.outputs).toMatchObject({ changed: "1" });
    expect(existsSync(path.join(target, "web-1.txt"))).toBe(false);
    expect(String(report.steps.play?.outputs.summary)).toContain("succeeded in check mode");
  });

  it("fails on a node whose host key does not match, counting it unreachable", async () => {
    const wrong = execFileSync("ssh-keygen", ["-y", "-f", sshd.clientKeyFile], { encoding: "utf8" }).trim();
    const { report, lines } = await play({ limit: "web" }, [node({ host_key: [wrong] })]);
    expect(report.steps.play?.status).toBe("failed");
    expect(report.steps.play?.outputs).toMatchObject({ unreachable: "1" });
    expect(lines.join("\n")).toMatch(/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED/);
  });
});
