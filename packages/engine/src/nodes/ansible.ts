import os from "node:os";
import { parse as parseYaml } from "yaml";
import type { EntryProblem, NodeFields } from "./entries.js";

/**
 * Ansible inventories (the INI and YAML forms of Ansible's `ini` and `yaml` inventory plugins) read into
 * Gantry nodes: each host is a node, the groups it belongs to (directly or through children) are its tags,
 * and its variables, merged as Ansible merges them, are its attributes. `ansible_host`, `ansible_port`,
 * `ansible_user` and `ansible_ssh_private_key_file` (and their `ansible_ssh_*` forms) say how to connect.
 */
export interface AnsibleGroup {
  hosts: Map<string, Record<string, unknown>>;
  vars: Record<string, unknown>;
  children: Set<string>;
}

export type AnsibleInventory = Map<string, AnsibleGroup>;

/** Variables that hold secrets (or vaulted values) never become attributes: attributes are shown. */
const SECRET_VARIABLE = /pass|secret|token|private_key|vault/i;
const CONNECTION_VARIABLES = new Set([
  "ansible_host",
  "ansible_ssh_host",
  "ansible_port",
  "ansible_ssh_port",
  "ansible_user",
  "ansible_ssh_user",
  "ansible_ssh_private_key_file",
  "ansible_private_key_file",
]);

function group(inventory: AnsibleInventory, name: string): AnsibleGroup {
  let g = inventory.get(name);
  if (!g) {
    g = { hosts: new Map(), vars: {}, children: new Set() };
    inventory.set(name, g);
  }
  return g;
}

function addHost(g: AnsibleGroup, name: string, vars: Record<string, unknown>): void {
  g.hosts.set(name, { ...(g.hosts.get(name) ?? {}), ...vars });
}

/** Parses the INI form. Problems name the line. */
export function parseAnsibleIni(text: string): { inventory: AnsibleInventory; problems: EntryProblem[] } {
  const inventory: AnsibleInventory = new Map();
  const problems: EntryProblem[] = [];
  group(inventory, "all");
  group(inventory, "ungrouped");
  let section = "ungrouped";
  let kind: "hosts" | "vars" | "children" = "hosts";
  text.split(/\r?\n/).forEach((raw, index) => {
    const where = [`line ${index + 1}`];
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) return;
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) {
      const [name, suffix] = (header[1] as string).split(":");
      if (!name || (suffix !== undefined && suffix !== "vars" && suffix !== "children")) {
        problems.push({
          path: where,
          message: `'${line}': a section is [group], [group:vars] or [group:children]`,
        });
        section = "";
        return;
      }
      section = name;
      kind = suffix === "vars" ? "vars" : suffix === "children" ? "children" : "hosts";
      group(inventory, name);
      return;
    }
    if (section === "") return;
    if (kind === "vars") {
      const eq = line.indexOf("=");
      if (eq <= 0) {
        problems.push({ path: where, message: `expected 'name=value' in [${section}:vars], got '${line}'` });
        return;
      }
      group(inventory, section).vars[line.slice(0, eq).trim()] = iniValue(line.slice(eq + 1).trim());
      return;
    }
    if (kind === "children") {
      group(inventory, section).children.add(line);
      group(inventory, line);
      return;
    }
    let tokens: string[];
    try {
      tokens = splitHostLine(line);
    } catch (error) {
      problems.push({ path: where, message: (error as Error).message });
      return;
    }
    const [pattern, ...assignments] = tokens as [string, ...string[]];
    const vars: Record<string, unknown> = {};
    for (const assignment of assignments) {
      const eq = assignment.indexOf("=");
      if (eq <= 0) {
        problems.push({ path: where, message: `expected 'name=value' after the host, got '${assignment}'` });
        return;
      }
      vars[assignment.slice(0, eq)] = iniValue(assignment.slice(eq + 1));
    }
    try {
      for (const { name, port } of expandHostPattern(pattern)) {
        addHost(group(inventory, section), name, port !== undefined ? { ansible_port: port, ...vars } : vars);
      }
    } catch (error) {
      problems.push({ path: where, message: (error as Error).message });
    }
  });
  return { inventory, problems };
}

/** Parses the YAML form: groups at the top (usually `all`), each with `hosts`, `vars` and `children`. */
export function parseAnsibleYaml(text: string): { inventory: AnsibleInventory; problems: EntryProblem[] } {
  const inventory: AnsibleInventory = new Map();
  const problems: EntryProblem[] = [];
  group(inventory, "all");
  group(inventory, "ungrouped");
  let doc: unknown;
  try {
    // Vaulted values (`!vault |`) stay opaque: they become no attribute (see SECRET_VARIABLE).
    doc = parseYaml(text, { customTags: [{ tag: "!vault", resolve: () => ({ vaulted: true }) }] });
  } catch (error) {
    return {
      inventory,
      problems: [{ path: [], message: `YAML: ${(error as Error).message.split("\n")[0]}` }],
    };
  }
  if (doc === null || doc === undefined) return { inventory, problems };
  if (!isMap(doc))
    return { inventory, problems: [{ path: [], message: "an Ansible YAML inventory is a map of groups" }] };
  const visit = (name: string, body: unknown, at: Array<string | number>) => {
    const g = group(inventory, name);
    if (body === null || body === undefined) return;
    if (!isMap(body)) {
      problems.push({ path: at, message: `group '${name}' must be a map of hosts, vars and children` });
      return;
    }
    for (const key of Object.keys(body)) {
      if (!["hosts", "vars", "children"].includes(key))
        problems.push({
          path: [...at, key],
          message: `unknown key '${key}' (a group has hosts, vars, children)`,
        });
    }
    if (isMap(body.vars)) Object.assign(g.vars, body.vars);
    if (isMap(body.hosts)) {
      for (const [pattern, vars] of Object.entries(body.hosts)) {
        try {
          for (const { name: host, port } of expandHostPattern(pattern)) {
            const own = isMap(vars) ? vars : {};
            addHost(g, host, port !== undefined ? { ansible_port: port, ...own } : own);
          }
        } catch (error) {
          problems.push({ path: [...at, "hosts", pattern], message: (error as Error).message });
        }
      }
    }
    if (isMap(body.children)) {
      for (const [child, childBody] of Object.entries(body.children)) {
        g.children.add(child);
        visit(child, childBody, [...at, "children", child]);
      }
    }
  };
  for (const [name, body] of Object.entries(doc)) visit(name, body, [name]);
  return { inventory, problems };
}

/**
 * Each host of an inventory as a node. Ansible's variable precedence: `all`'s variables, then each group's
 * from the shallowest to the deepest (ties by name), then the host's own.
 */
export function ansibleNodes(inventory: AnsibleInventory): { nodes: NodeFields[]; problems: EntryProblem[] } {
  const problems: EntryProblem[] = [];
  const depth = groupDepths(inventory);
  const hosts = new Map<string, { groups: Set<string>; vars: Record<string, unknown> }>();
  const ancestors = (name: string, seen = new Set<string>()): Set<string> => {
    for (const [parent, g] of inventory) {
      if (g.children.has(name) && !seen.has(parent)) {
        seen.add(parent);
        ancestors(parent, seen);
      }
    }
    return seen;
  };
  for (const [name, g] of inventory) {
    for (const [host, vars] of g.hosts) {
      const entry = hosts.get(host) ?? { groups: new Set<string>(), vars: {} };
      entry.groups.add(name);
      for (const parent of ancestors(name)) entry.groups.add(parent);
      Object.assign(entry.vars, vars);
      hosts.set(host, entry);
    }
  }
  const nodes: NodeFields[] = [];
  for (const [host, { groups, vars: hostVars }] of hosts) {
    const ordered = ["all", ...[...groups].filter((g) => g !== "all")].sort(
      (a, b) => (depth.get(a) ?? 0) - (depth.get(b) ?? 0) || a.localeCompare(b),
    );
    const vars: Record<string, unknown> = {};
    for (const g of ordered) Object.assign(vars, inventory.get(g)?.vars ?? {});
    Object.assign(vars, hostVars);
    const text = (name: string) => (vars[name] === undefined ? undefined : String(vars[name]));
    const fields: NodeFields = {
      name: host,
      tags: [...groups].filter((g) => g !== "all" && g !== "ungrouped").sort(),
      attributes: {},
    };
    const address = text("ansible_host") ?? text("ansible_ssh_host");
    if (address) fields.host = address;
    const port = text("ansible_port") ?? text("ansible_ssh_port");
    if (port !== undefined) {
      const n = Number(port);
      if (Number.isInteger(n) && n > 0 && n < 65536) fields.port = n;
      else problems.push({ path: [host], message: `host '${host}': ansible_port '${port}' is not a port` });
    }
    const user = text("ansible_user") ?? text("ansible_ssh_user");
    if (user) fields.user = user;
    const key = text("ansible_ssh_private_key_file") ?? text("ansible_private_key_file");
    if (key) {
      const expanded = key.startsWith("~/") ? `${os.homedir()}${key.slice(1)}` : key;
      fields.ssh_key = `ref+file://${expanded}`;
    }
    for (const [name, value] of Object.entries(vars)) {
      if (CONNECTION_VARIABLES.has(name) || SECRET_VARIABLE.test(name)) continue;
      if (value === null || value === undefined) continue;
      if (typeof value === "object" && (value as { vaulted?: boolean }).vaulted) continue;
      if (typeof value === "string" && value.startsWith("$ANSIBLE_VAULT")) continue;
      (fields.attributes as Record<string, string>)[name] =
        typeof value === "object" ? JSON.stringify(value) : String(value);
    }
    nodes.push(fields);
  }
  return { nodes, problems };
}

/** Distance of each group from `all` through children (groups under no parent hang off `all`). */
function groupDepths(inventory: AnsibleInventory): Map<string, number> {
  const depth = new Map<string, number>([["all", 0]]);
  const queue = ["all"];
  const childOf = new Set([...inventory.values()].flatMap((g) => [...g.children]));
  for (const name of inventory.keys()) {
    if (name !== "all" && !childOf.has(name)) {
      depth.set(name, 1);
      queue.push(name);
    }
  }
  while (queue.length > 0) {
    const name = queue.shift() as string;
    for (const child of inventory.get(name)?.children ?? []) {
      const d = (depth.get(name) ?? 0) + 1;
      if ((depth.get(child) ?? -1) < d) {
        depth.set(child, d);
        queue.push(child);
      }
    }
  }
  return depth;
}

/**
 * `www[01:03].example.com:2222` -> www01…www03 on port 2222. Ranges are numeric (zero-padded to the
 * width written) or alphabetic, with an optional step: `[a:f]`, `[1:10:2]`, as Ansible expands them.
 */
export function expandHostPattern(pattern: string): Array<{ name: string; port?: number }> {
  let host = pattern;
  let port: number | undefined;
  // host:port, but not an IPv6 address (several colons outside brackets).
  const portMatch = /^(.*[^:]):(\d+)$/.exec(pattern);
  if (portMatch && !(portMatch[1] as string).replace(/\[[^\]]*\]/g, "").includes(":")) {
    host = portMatch[1] as string;
    port = Number(portMatch[2]);
  }
  const range = /\[([^\]:]+):([^\]:]+)(?::(\d+))?\]/.exec(host);
  if (!range) return [{ name: host, ...(port !== undefined ? { port } : {}) }];
  const [whole, from, to, stepText] = range as unknown as [string, string, string, string | undefined];
  const step = stepText === undefined ? 1 : Number(stepText);
  const prefix = host.slice(0, range.index);
  const suffix = host.slice(range.index + whole.length);
  const values: string[] = [];
  if (/^\d+$/.test(from) && /^\d+$/.test(to)) {
    const width = from.length;
    for (let n = Number(from); n <= Number(to); n += step) values.push(String(n).padStart(width, "0"));
  } else if (/^[a-z]$/i.test(from) && /^[a-z]$/i.test(to)) {
    for (let c = from.charCodeAt(0); c <= to.charCodeAt(0); c += step) values.push(String.fromCharCode(c));
  } else {
    throw new Error(`'${whole}' in '${pattern}' is not a range ([01:10] or [a:f])`);
  }
  if (values.length === 0) throw new Error(`the range '${whole}' in '${pattern}' is empty`);
  return values.flatMap((v) =>
    expandHostPattern(`${prefix}${v}${suffix}${port !== undefined ? `:${port}` : ""}`),
  );
}

/** Splits a host line as Ansible does (shlex with comments): quotes group, `#` starts a comment. */
function splitHostLine(line: string): string[] {
  const tokens: string[] = [];
  let current = "";
  let inToken = false;
  let quote: string | undefined;
  for (const ch of line) {
    if (quote) {
      if (ch === quote) quote = undefined;
      else current += ch;
      continue;
    }
    if (ch === '"' || ch === "'") {
      quote = ch;
      inToken = true;
    } else if (ch === "#") {
      break;
    } else if (/\s/.test(ch)) {
      if (inToken) tokens.push(current);
      current = "";
      inToken = false;
    } else {
      current += ch;
      inToken = true;
    }
  }
  if (quote) throw new Error(`the quote ${quote} is never closed`);
  if (inToken) tokens.push(current);
  return tokens;
}

/** An INI value: quotes removed; Ansible would also read numbers and lists, which attributes keep as text. */
function iniValue(text: string): string {
  const quoted = /^(["'])(.*)\1$/.exec(text);
  return quoted ? (quoted[2] as string) : text;
}

function isMap(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
