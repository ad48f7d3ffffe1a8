import path from "node:path";
import { NODE_SECRET_FIELDS, type NodeRecord } from "@gantry/core";
import { isSecretRef } from "../secrets/index.js";
import { parsePublicKey } from "./host-key.js";

/** A node as gantry.yaml or a node file writes it. */
export interface NodeFields {
  name: string;
  host?: string;
  port?: number;
  user?: string;
  tags?: string[];
  attributes?: Record<string, string | number | boolean>;
  ssh_key?: string;
  ssh_key_passphrase?: string;
  password?: string;
  host_key?: string | string[];
}

/** More nodes from a file: Gantry's list of nodes (.yaml, .yml, .json) or an Ansible inventory. */
export interface FileEntry {
  file: string;
  format?: InventoryFormat;
}

/** More nodes from a file of a git source, at the source's active commit. */
export interface SourceEntry {
  source: string;
  path: string;
  format?: InventoryFormat;
}

export type NodeEntry = NodeFields | FileEntry | SourceEntry;
export type InventoryFormat = "gantry" | "ansible";

/** Connection settings nodes take when they give none: `ssh:` in gantry.yaml. */
export interface NodeDefaults {
  user?: string;
  port?: number;
  ssh_key?: string;
  ssh_key_passphrase?: string;
  password?: string;
}

/** A problem in an inventory: where (a path into the file's values), and what. */
export interface EntryProblem {
  path: Array<string | number>;
  message: string;
}

/** Names and tags are written in selectors: no spaces, commas, parentheses or quotes. */
const SELECTABLE = "^[^\\s,()'\"]+$";

export const nodeSchema = {
  type: "object",
  additionalProperties: false,
  required: ["name"],
  properties: {
    name: {
      type: "string",
      pattern: SELECTABLE,
      description: "unique; no spaces, commas, quotes or parentheses",
    },
    host: { type: "string", pattern: "^\\S+$", description: "address or DNS name (default: the name)" },
    port: { type: "integer", minimum: 1, maximum: 65535 },
    user: { type: "string" },
    tags: { type: "array", items: { type: "string", pattern: SELECTABLE } },
    attributes: { type: "object", additionalProperties: { type: ["string", "number", "boolean"] } },
    ssh_key: { type: "string", description: "the private key: a secret reference (ref+file://…)" },
    ssh_key_passphrase: { type: "string", description: "a secret reference" },
    password: { type: "string", description: "a secret reference" },
    host_key: {
      type: ["string", "array"],
      items: { type: "string" },
      description: "public host key(s) the node must present, e.g. ssh-ed25519 AAAA…",
    },
  },
} as const;

const format = {
  enum: ["gantry", "ansible"],
  description: "default: by extension (.yaml/.yml/.json: gantry)",
};

/** An entry of `nodes:` in gantry.yaml: a node, or a file of them (`file:`, or `source:` + `path:`). */
export const nodeEntrySchema = {
  type: "object",
  additionalProperties: false,
  properties: {
    ...nodeSchema.properties,
    file: { type: "string", description: "a node file or an Ansible inventory, relative to gantry.yaml" },
    source: { type: "string", description: "a git source holding the file" },
    path: { type: "string", description: "the file's path in the source" },
    format,
  },
} as const;

/** `ssh:` in gantry.yaml: defaults for nodes and the SSH client's settings. */
export const sshSettingsSchema = {
  type: "object",
  additionalProperties: false,
  properties: {
    user: { type: "string" },
    port: { type: "integer", minimum: 1, maximum: 65535 },
    ssh_key: { type: "string", description: "default private key (a secret reference)" },
    ssh_key_passphrase: { type: "string" },
    password: { type: "string" },
    connect_timeout: {
      type: ["string", "number"],
      description: "connecting, handshake and authentication together (default 20s)",
    },
    keepalive_interval: { type: ["string", "number"], description: "default 15s; 0 sends none" },
    keepalive_count_max: { type: "integer", minimum: 1, description: "unanswered keep-alives (default 3)" },
    accept_new_host_keys: {
      type: "boolean",
      description: "pin the key of a host seen for the first time into known_hosts (default false)",
    },
  },
} as const;

export function isFileEntry(entry: NodeEntry): entry is FileEntry {
  return "file" in entry;
}

export function isSourceEntry(entry: NodeEntry): entry is SourceEntry {
  return "source" in entry && !("file" in entry);
}

/**
 * Checks the shape an include entry must have (a node needs a name; `file:` or `source:` + `path:` take
 * no node fields), beyond what the schema says.
 */
export function entryShapeProblems(
  entry: Record<string, unknown>,
  at: Array<string | number>,
): EntryProblem[] {
  const include = "file" in entry || "source" in entry || "path" in entry;
  if (!include) {
    return "name" in entry
      ? []
      : [{ path: at, message: "a node needs a 'name' (or write file: or source: to include a file)" }];
  }
  const problems: EntryProblem[] = [];
  if ("file" in entry && ("source" in entry || "path" in entry)) {
    problems.push({
      path: at,
      message: "write either file: (on this machine) or source: with path: (in a git source)",
    });
  } else if ("source" in entry !== "path" in entry) {
    problems.push({ path: at, message: "a file of a git source needs both source: and path:" });
  }
  const nodeKeys = Object.keys(entry).filter((k) => !["file", "source", "path", "format"].includes(k));
  for (const key of nodeKeys) {
    problems.push({
      path: [...at, key],
      message: `'${key}' belongs to a node; an entry that includes a file takes only file, source, path and format`,
    });
  }
  return problems;
}

/**
 * A node as a run keeps it: defaults applied, attributes as text, secret references made absolute
 * (`refBase`: the folder relative file references start from; undefined refuses relative ones, for
 * files of git sources, whose folders exist only on the server).
 */
export function toNodeRecord(
  fields: NodeFields,
  at: Array<string | number>,
  options: { defaults?: NodeDefaults; refBase?: string } = {},
): { node?: NodeRecord; problems: EntryProblem[] } {
  const problems: EntryProblem[] = [];
  const defaults = options.defaults ?? {};
  const node: NodeRecord = {
    name: fields.name,
    host: fields.host ?? fields.name,
    tags: [...new Set(fields.tags ?? [])],
    attributes: Object.fromEntries(Object.entries(fields.attributes ?? {}).map(([k, v]) => [k, String(v)])),
  };
  const port = fields.port ?? defaults.port;
  if (port !== undefined) node.port = port;
  const user = fields.user ?? defaults.user;
  if (user !== undefined) node.user = user;
  for (const key of NODE_SECRET_FIELDS) {
    const value = fields[key] ?? defaults[key];
    if (value === undefined) continue;
    if (!isSecretRef(value)) {
      problems.push({
        path: [...at, key],
        message: `${key}: must be a secret reference (ref+file://…, ref+sops://…, ref+vault://…): a value written here would be kept with every run`,
      });
      continue;
    }
    const absolute = absoluteRef(value, options.refBase);
    if (absolute === undefined) {
      problems.push({
        path: [...at, key],
        message: `${key}: a relative ${value.slice(4, value.indexOf(":"))} reference cannot be read from a file of a git source; use an absolute path or another provider`,
      });
      continue;
    }
    node[key] = absolute;
  }
  if (fields.host_key !== undefined) {
    const keys = Array.isArray(fields.host_key) ? fields.host_key : [fields.host_key];
    keys.forEach((key, i) => {
      try {
        parsePublicKey(key);
      } catch (error) {
        const where = Array.isArray(fields.host_key) ? [...at, "host_key", i] : [...at, "host_key"];
        problems.push({ path: where, message: `host_key: ${(error as Error).message}` });
      }
    });
    node.host_key = keys.map((k) => k.trim().split(/\s+/).slice(0, 2).join(" "));
  }
  return problems.length > 0 ? { problems } : { node, problems };
}

/** `ref+file://keys/web` relative to `base` as `ref+file:///abs/keys/web`; other references as they are. */
function absoluteRef(ref: string, base: string | undefined): string | undefined {
  const match = /^ref\+(file|sops):\/\/([^?#]*)(.*)$/s.exec(ref);
  if (!match) return ref;
  const [, provider, file, rest] = match as unknown as [string, string, string, string];
  if (path.isAbsolute(file)) return ref;
  if (base === undefined) return undefined;
  return `ref+${provider}://${path.resolve(base, file)}${rest}`;
}
