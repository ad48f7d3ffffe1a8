import { readdir, stat } from "node:fs/promises";
import path from "node:path";

const YAML_FILE = /\.ya?ml$/;
const CONFIG_FILE = /^gantry\.ya?ml$/;
const SKIPPED_DIRS = new Set(["node_modules", "dist"]);
export const ACTION_FILE = /^action\.ya?ml$/;

/**
 * The workflow and action files under a path: a file as it is, or every `.yaml`/`.yml` in a folder tree
 * (skipping hidden folders, node_modules, dist and the config file `gantry.yaml`). Undefined when the
 * path does not exist.
 */
export async function findYamlFiles(p: string): Promise<string[] | undefined> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(p);
  } catch {
    return undefined;
  }
  if (!info.isDirectory()) return [p];
  const out: string[] = [];
  for (const entry of (await readdir(p, { withFileTypes: true })).sort((a, b) =>
    a.name.localeCompare(b.name),
  )) {
    const full = path.join(p, entry.name);
    if (entry.isDirectory()) {
      if (!entry.name.startsWith(".") && !SKIPPED_DIRS.has(entry.name))
        out.push(...((await findYamlFiles(full)) ?? []));
    } else if (YAML_FILE.test(entry.name) && !CONFIG_FILE.test(entry.name)) {
      out.push(full);
    }
  }
  return out;
}

/** The workflow files under a path: its YAML files that are not actions. */
export async function findWorkflowFiles(p: string): Promise<string[] | undefined> {
  return (await findYamlFiles(p))?.filter((f) => !ACTION_FILE.test(path.basename(f)));
}
