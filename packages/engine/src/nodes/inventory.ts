import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import {
  formatProblem,
  type NodeRecord,
  newAjv,
  parseYamlFile,
  type SourceFile,
  schemaProblems,
} from "@gantry/core";
import { ansibleNodes, parseAnsibleIni, parseAnsibleYaml } from "./ansible.js";
import {
  type EntryProblem,
  entryShapeProblems,
  type FileEntry,
  type InventoryFormat,
  isFileEntry,
  isSourceEntry,
  type NodeDefaults,
  type NodeEntry,
  type NodeFields,
  nodeSchema,
  type SourceEntry,
  toNodeRecord,
} from "./entries.js";

/** Reads a file of a git source at the source's active commit. */
export type SourceFileReader = (source: string, file: string) => Promise<{ commit: string; text: string }>;

export interface InventoryOptions {
  entries: readonly NodeEntry[];
  /** gantry.yaml's folder: `file:` entries and relative key references start there. */
  baseDir: string;
  defaults?: NodeDefaults;
  readSourceFile?: SourceFileReader;
  /** Files and sources are looked at again at most this often (ms); default 1000. */
  recheckMs?: number;
  now?: () => number;
}

/** The inventory as it stands: its nodes, where each came from, and what could not be read. */
export interface InventoryState {
  nodes: NodeRecord[];
  /** Per node: `gantry.yaml`, a file's path, or `<source>:<path>@<commit>`. */
  origins: Record<string, string>;
  problems: string[];
}

/** The largest inventory file read: a million-node file is a mistake, not an inventory. */
const MAX_FILE_BYTES = 16 * 1024 * 1024;

interface Loaded {
  /** What identifies the version read: a file's mtime and size, or a source's commit. */
  version: string;
  origin: string;
  nodes: NodeRecord[];
  problems: string[];
}

/**
 * The node inventory of gantry.yaml: nodes written there, node files and Ansible inventories on this
 * machine, and files of git sources (at their active commit). Files are read again when they change
 * (checked at most once a second); a file that cannot be read or parsed keeps the nodes it gave before,
 * and says why.
 */
export class NodeInventory {
  private readonly loaded = new Map<number, Loaded>();
  private checkedAt = Number.NEGATIVE_INFINITY;
  private state: InventoryState | undefined;
  private refreshing: Promise<InventoryState> | undefined;
  private readonly now: () => number;

  constructor(private readonly options: InventoryOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Whether gantry.yaml declares any nodes at all. */
  get configured(): boolean {
    return this.options.entries.length > 0;
  }

  async current(): Promise<InventoryState> {
    if (this.state && this.now() - this.checkedAt < (this.options.recheckMs ?? 1000)) return this.state;
    this.refreshing ??= this.refresh().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async refresh(): Promise<InventoryState> {
    const nodes: NodeRecord[] = [];
    const origins: Record<string, string> = {};
    const problems: string[] = [];
    const add = (list: NodeRecord[], origin: string) => {
      for (const node of list) {
        if (node.name in origins) {
          problems.push(
            `${origin}: node '${node.name}' is already defined by ${origins[node.name]}; this one is ignored`,
          );
          continue;
        }
        origins[node.name] = origin;
        nodes.push(node);
      }
    };
    const inline: NodeRecord[] = [];
    for (const [index, entry] of this.options.entries.entries()) {
      const at = ["nodes", index];
      const shape = entryShapeProblems(entry as unknown as Record<string, unknown>, at);
      if (shape.length > 0) {
        problems.push(...shape.map((p) => `gantry.yaml: ${p.path.join(".")}: ${p.message}`));
        continue;
      }
      if (isFileEntry(entry) || isSourceEntry(entry)) {
        add(inline.splice(0), "gantry.yaml");
        const loaded = await this.loadEntry(index, entry as FileEntry | SourceEntry);
        problems.push(...loaded.problems);
        add(loaded.nodes, loaded.origin);
        continue;
      }
      const { node, problems: own } = toNodeRecord(entry, at, {
        ...(this.options.defaults ? { defaults: this.options.defaults } : {}),
        refBase: this.options.baseDir,
      });
      problems.push(...own.map((p) => `gantry.yaml: ${p.path.join(".")}: ${p.message}`));
      if (node) inline.push(node);
    }
    add(inline, "gantry.yaml");
    this.state = { nodes, origins, problems };
    this.checkedAt = this.now();
    return this.state;
  }

  private async loadEntry(index: number, entry: FileEntry | SourceEntry): Promise<Loaded> {
    const previous = this.loaded.get(index);
    let version: string;
    let origin: string;
    let read: () => Promise<string>;
    let refBase: string | undefined;
    let fileName: string;
    try {
      if (isFileEntry(entry)) {
        fileName = path.resolve(this.options.baseDir, entry.file);
        const info = await stat(fileName);
        if (info.size > MAX_FILE_BYTES) throw new Error(`larger than ${MAX_FILE_BYTES} bytes`);
        version = `${info.mtimeMs}:${info.size}`;
        origin = fileName;
        refBase = path.dirname(fileName);
        read = () => readFile(fileName, "utf8");
      } else {
        const reader = this.options.readSourceFile;
        if (!reader) throw new Error(`no git source '${entry.source}' is configured`);
        const got = await reader(entry.source, entry.path);
        fileName = entry.path;
        version = got.commit;
        origin = `${entry.source}:${fileName}@${got.commit.slice(0, 12)}`;
        read = async () => got.text;
      }
    } catch (error) {
      const where = isFileEntry(entry) ? entry.file : `${entry.source}:${entry.path}`;
      const problem = `${where}: ${(error as Error).message}${previous ? " (its nodes as last read are kept)" : ""}`;
      return { ...(previous ?? { version: "", origin: where, nodes: [] }), problems: [problem] };
    }
    if (previous && previous.version === version) return previous;
    const text = await read();
    const parsed = parseInventory(text, origin, inventoryFormat(entry.format, fileName), {
      ...(this.options.defaults ? { defaults: this.options.defaults } : {}),
      ...(refBase !== undefined ? { refBase } : {}),
    });
    if (parsed.unreadable && previous) {
      return { ...previous, problems: [...parsed.problems, `${origin}: its nodes as last read are kept`] };
    }
    const loaded: Loaded = { version, origin, nodes: parsed.nodes, problems: parsed.problems };
    this.loaded.set(index, loaded);
    return loaded;
  }
}

/** The format of a file: as declared, else by its extension (.yaml, .yml, .json: Gantry's; others: Ansible INI). */
export function inventoryFormat(
  declared: InventoryFormat | undefined,
  file: string,
): InventoryFormat | "ansible-yaml" {
  const yaml = /\.(ya?ml|json)$/i.test(file);
  if (declared === "ansible") return yaml ? "ansible-yaml" : "ansible";
  if (declared === "gantry") return "gantry";
  return yaml ? "gantry" : "ansible";
}

/**
 * Reads an inventory file's nodes. `unreadable`: nothing could be read at all (a syntax error), as opposed
 * to some nodes being wrong.
 */
export function parseInventory(
  text: string,
  file: string,
  format: InventoryFormat | "ansible-yaml",
  options: { defaults?: NodeDefaults; refBase?: string } = {},
): { nodes: NodeRecord[]; problems: string[]; unreadable: boolean } {
  let fields: Array<{ fields: NodeFields; at: Array<string | number> }>;
  let problems: string[];
  let source: SourceFile | undefined;
  if (format === "gantry") {
    const parsed = parseYamlFile(file, text);
    if (!parsed.source) return { nodes: [], problems: parsed.problems.map(formatProblem), unreadable: true };
    source = parsed.source;
    if (!Array.isArray(source.value)) {
      return { nodes: [], problems: [`${file}:1:1: a node file is a list of nodes`], unreadable: true };
    }
    // Every problem is reported; only the nodes that have one are left out.
    problems = schemaProblems(source, { type: "array", items: nodeSchema }).map(formatProblem);
    const valid = validNode();
    fields = (source.value as NodeFields[])
      .map((f, i) => ({ fields: f, at: [i] }))
      .filter(({ fields: f }) => valid(f));
  } else {
    const parsed = format === "ansible" ? parseAnsibleIni(text) : parseAnsibleYaml(text);
    const unreadable = parsed.problems.some((p) => p.path.length === 0);
    const hosts = ansibleNodes(parsed.inventory);
    problems = [...parsed.problems, ...hosts.problems].map((p) => describe(file, p, undefined));
    if (unreadable) return { nodes: [], problems, unreadable: true };
    fields = hosts.nodes.map((f) => ({ fields: f, at: [f.name] }));
  }
  const nodes: NodeRecord[] = [];
  for (const { fields: f, at } of fields) {
    const { node, problems: own } = toNodeRecord(f, at, options);
    problems.push(...own.map((p) => describe(file, p, source)));
    if (node) nodes.push(node);
  }
  return { nodes, problems, unreadable: false };
}

let compiledNode: ((value: unknown) => boolean) | undefined;

function validNode(): (value: unknown) => boolean {
  compiledNode ??= newAjv().compile(nodeSchema);
  return compiledNode;
}

function describe(file: string, problem: EntryProblem, source: SourceFile | undefined): string {
  if (source) return formatProblem({ file, ...source.locate(problem.path), message: problem.message });
  return `${file}: ${problem.path.length > 0 ? `${problem.path.join(".")}: ` : ""}${problem.message}`;
}
