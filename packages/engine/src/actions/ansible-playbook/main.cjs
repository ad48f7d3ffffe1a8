"use strict";
// gantry/ansible-playbook: runs ansible-playbook on a playbook of the step's checkout, against an
// inventory file, Gantry's own nodes (a selector: their keys and host keys are handed to ssh through
// private files), or both; then turns Ansible's recap into outputs and a summary. See action.yaml.
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");
const {
  checkout,
  fail,
  onCleanup,
  privateDir,
  readInputs,
  run,
  setOutput,
  summarize,
} = require("./step.cjs");

const ACTION = "gantry/ansible-playbook";
const COUNTS = ["ok", "changed", "unreachable", "failed", "skipped", "rescued", "ignored"];

/** A host variable name Ansible accepts; other attribute names are left out of the inventory. */
const VARIABLE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `[host]:port` as ssh records hosts off port 22. */
function knownHostName(host, port) {
  const lower = host.toLowerCase();
  return port === 22 ? lower : `[${lower}]:${port}`;
}

/**
 * Gantry nodes as an Ansible inventory (YAML form, written as JSON): each node a host with its address,
 * port, user and attributes; each tag a group. Keys become private files, host keys a known_hosts file
 * that ssh must match (StrictHostKeyChecking=yes), ahead of `knownHosts` for nodes without one.
 */
function nodeInventory(nodes, dir, knownHosts) {
  const hosts = {};
  const groups = {};
  const files = [];
  const knownLines = [];
  const problems = [];
  nodes.forEach((node, index) => {
    const port = node.port ?? 22;
    const vars = { ansible_host: node.host, ansible_port: port };
    if (node.user) vars.ansible_user = node.user;
    for (const [name, value] of Object.entries(node.attributes ?? {})) {
      if (VARIABLE.test(name) && !name.startsWith("ansible_")) vars[name] = value;
    }
    if (node.ssh_key_passphrase) {
      problems.push(
        `node ${node.name}: its key has a passphrase, which ansible-playbook cannot be given; load the key into an ssh-agent (SSH_AUTH_SOCK) or use one without`,
      );
    }
    if (node.ssh_key) {
      const file = path.join(dir, "keys", String(index));
      files.push({
        file,
        text: node.ssh_key.endsWith("\n") ? node.ssh_key : `${node.ssh_key}\n`,
        mode: 0o600,
      });
      vars.ansible_ssh_private_key_file = file;
    }
    // Ansible logs in with a password through sshpass, which it says it needs when it is missing.
    if (node.password) vars.ansible_password = node.password;
    for (const key of node.host_key ?? []) knownLines.push(`${knownHostName(node.host, port)} ${key}`);
    hosts[node.name] = vars;
    for (const tag of node.tags ?? []) {
      groups[tag] ??= { hosts: {} };
      groups[tag].hosts[node.name] = {};
    }
  });
  const knownFile = path.join(dir, "known_hosts");
  files.push({ file: knownFile, text: knownLines.map((l) => `${l}\n`).join(""), mode: 0o600 });
  const userKnown = knownHosts || "~/.ssh/known_hosts";
  const inventory = {
    all: {
      hosts,
      children: groups,
      vars: {
        // Host keys are checked, always: the node's own, else the known_hosts file.
        ansible_ssh_common_args: `-o UserKnownHostsFile="${knownFile} ${userKnown}" -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes`,
      },
    },
  };
  files.push({
    file: path.join(dir, "inventory.json"),
    text: JSON.stringify(inventory, null, 2),
    mode: 0o600,
  });
  return { inventory, inventoryFile: path.join(dir, "inventory.json"), files, problems };
}

/** ansible-playbook's arguments for the inputs; secrets only ever as paths of private files. */
function playbookArgs(inputs, files) {
  const args = [];
  for (const inventory of files.inventories) args.push("-i", inventory);
  if (files.extraVars) args.push("-e", `@${files.extraVars}`);
  if (files.vaultPassword) args.push("--vault-password-file", files.vaultPassword);
  if (inputs.check) args.push("--check");
  if (inputs.diff) args.push("--diff");
  if (inputs.limit) args.push("--limit", inputs.limit);
  if (inputs.tags) args.push("--tags", inputs.tags);
  if (inputs.skip_tags) args.push("--skip-tags", inputs.skip_tags);
  if (inputs.forks > 0) args.push("--forks", String(inputs.forks));
  if (inputs.verbosity > 0) args.push(`-${"v".repeat(inputs.verbosity)}`);
  args.push(inputs.playbook);
  return args;
}

/** Totals over the hosts of a recap. */
function totals(recap) {
  const sum = Object.fromEntries(COUNTS.map((c) => [c, 0]));
  for (const host of Object.values(recap)) for (const c of COUNTS) sum[c] += host[c] ?? 0;
  return sum;
}

/** The recap as Markdown: a headline and a row per host. */
function recapMarkdown(recap, inputs, code) {
  const hosts = Object.keys(recap);
  const sum = totals(recap);
  const verdict = code === 0 ? "succeeded" : `failed (exit code ${code})`;
  const lines = [
    `**ansible-playbook ${inputs.playbook}** ${verdict}${inputs.check ? " in check mode" : ""}: ${hosts.length} host${hosts.length === 1 ? "" : "s"}, ${sum.changed} changed, ${sum.failed} failed, ${sum.unreachable} unreachable`,
  ];
  if (hosts.length > 0) {
    lines.push("", `| host | ${COUNTS.join(" | ")} |`, `|---|${COUNTS.map(() => "--:").join("|")}|`);
    for (const host of hosts)
      lines.push(`| ${host} | ${COUNTS.map((c) => recap[host][c] ?? 0).join(" | ")} |`);
  }
  return lines.join("\n");
}

async function main() {
  const inputs = readInputs();
  const dir = privateDir("gantry-ansible");
  onCleanup(() => {
    for (const name of fs.readdirSync(dir).filter((n) => n.startsWith("cp-"))) {
      spawnSync("ssh", ["-o", `ControlPath=${path.join(dir, name)}`, "-O", "exit", "gantry"], {
        stdio: "ignore",
      });
    }
  });
  if ((await checkout(inputs)) !== 0) return fail(ACTION, "the checkout failed");
  if (!fs.existsSync(inputs.playbook)) {
    return fail(
      ACTION,
      `playbook '${inputs.playbook}' not found in ${process.cwd()}${inputs.repository ? "" : " (give repository: to check one out first)"}`,
    );
  }
  const inventories = [];
  if (Array.isArray(inputs.nodes)) {
    const made = nodeInventory(inputs.nodes, dir, inputs.known_hosts);
    if (made.problems.length > 0) return fail(ACTION, made.problems.join("\n"));
    fs.mkdirSync(path.join(dir, "keys"), { mode: 0o700 });
    for (const { file, text, mode } of made.files) fs.writeFileSync(file, text, { mode });
    inventories.push(made.inventoryFile);
  }
  if (inputs.inventory) inventories.push(inputs.inventory);
  const files = { inventories };
  if (inputs.extra_vars && Object.keys(inputs.extra_vars).length > 0) {
    files.extraVars = path.join(dir, "extra-vars.json");
    fs.writeFileSync(files.extraVars, JSON.stringify(inputs.extra_vars), { mode: 0o600 });
  }
  const env = {
    // Ansible's own SSH multiplexing, with its sockets in the private folder: the masters it leaves
    // running (ControlPersist) are stopped when the step ends, and no other step reuses them.
    ANSIBLE_SSH_ARGS:
      process.env.ANSIBLE_SSH_ARGS ??
      `-o ControlMaster=auto -o ControlPersist=60s -o ControlPath=${path.join(dir, "cp-%C")}`,
    GANTRY_ANSIBLE_RECAP: path.join(dir, "recap.json"),
    ANSIBLE_CALLBACK_PLUGINS: [path.join(__dirname, "callback_plugins"), process.env.ANSIBLE_CALLBACK_PLUGINS]
      .filter(Boolean)
      .join(":"),
    ANSIBLE_HOST_KEY_CHECKING: "True",
    ANSIBLE_RETRY_FILES_ENABLED: "False",
    ANSIBLE_FORCE_COLOR: process.env.ANSIBLE_FORCE_COLOR ?? "1",
    PYTHONUNBUFFERED: "1",
  };
  if (inputs.vault_password) {
    // Ansible runs this script for the password; it reads it from its environment, never a file.
    files.vaultPassword = path.join(dir, "vault-password");
    fs.writeFileSync(files.vaultPassword, '#!/bin/sh\nprintf "%s\\n" "$GANTRY_ANSIBLE_VAULT_PASSWORD"\n', {
      mode: 0o700,
    });
    env.GANTRY_ANSIBLE_VAULT_PASSWORD = inputs.vault_password;
  }
  const code = await run(inputs.ansible_playbook || "ansible-playbook", playbookArgs(inputs, files), { env });
  let recap = {};
  try {
    recap = JSON.parse(fs.readFileSync(env.GANTRY_ANSIBLE_RECAP, "utf8"));
  } catch {
    // No recap: the playbook did not get to run (a syntax error, a missing inventory); its log says why.
  }
  const sum = totals(recap);
  for (const c of COUNTS) setOutput(c, String(sum[c]));
  setOutput("hosts", JSON.stringify(recap));
  summarize(recapMarkdown(recap, inputs, code));
  process.exitCode = code;
}

if (require.main === module) {
  main().catch((error) => fail(ACTION, error.stack ?? String(error), 1));
}

module.exports = { nodeInventory, playbookArgs, recapMarkdown, totals };
