import { replaceSplices, type Splice } from "../shared/shell.js";

/**
 * Rundeck's data references: `${option.x}` in commands and arguments (each value one argument, never
 * parsed again), `@option.x@` in inline scripts (text spliced into the script before it runs), and the
 * same values as RD_OPTION_*, RD_JOB_*, RD_NODE_* environment variables. The converted steps read the
 * environment variables, quoted as the place requires.
 */

export interface References {
  options: Set<string>;
  job: Set<string>;
  node: Set<string>;
  /** References to contexts Gantry has no counterpart for (`globals`, `data`, …), as written. */
  other: Set<string>;
  /** References inside a quoted here-document, left as they were. */
  kept: string[];
}

export function emptyReferences(): References {
  return { options: new Set(), job: new Set(), node: new Set(), other: new Set(), kept: [] };
}

/** RD_OPTION_NAME as Rundeck names it: upper case, anything but letters, digits and _ as _. */
export function rundeckEnv(prefix: "OPTION" | "JOB" | "NODE", name: string): string {
  return `RD_${prefix}_${name.toUpperCase().replace(/[^A-Z0-9_]/g, "_")}`;
}

const COMMAND_TOKEN = /\$\{(option|unquotedoption|job|node|globals|data|secret|execution)\.([^}\s]+)\}/g;
const SCRIPT_TOKEN = /@(option|job|node|globals|data|execution)\.([^@\s]+)@/g;
const ENV_USE = /\bRD_(OPTION|JOB|NODE)_([A-Za-z0-9_]+)/g;

/**
 * Replaces the references in `text` (a command line, script arguments, or an inline script) with
 * environment variables, and records which it used.
 */
export function replaceReferences(text: string, kind: "command" | "script", refs: References): string {
  const splices: Splice[] = [];
  const pattern = kind === "command" ? COMMAND_TOKEN : SCRIPT_TOKEN;
  for (const m of text.matchAll(pattern)) {
    const context = m[1] as string;
    const name = m[2] as string;
    const start = m.index;
    const end = start + m[0].length;
    if (context === "option" || context === "unquotedoption") {
      refs.options.add(name);
      splices.push({
        start,
        end,
        variable: rundeckEnv("OPTION", name),
        ...(context === "unquotedoption" ? { split: true } : {}),
      });
    } else if (context === "job") {
      refs.job.add(name.toLowerCase());
      splices.push({ start, end, variable: rundeckEnv("JOB", name) });
    } else if (context === "node") {
      refs.node.add(name.toLowerCase());
      splices.push({ start, end, variable: rundeckEnv("NODE", name) });
    } else {
      refs.other.add(m[0]);
    }
  }
  for (const m of text.matchAll(ENV_USE)) {
    const [, prefix, name] = m as unknown as [string, string, string];
    if (prefix === "JOB") refs.job.add(name.toLowerCase());
    else if (prefix === "NODE") refs.node.add(name.toLowerCase());
  }
  const replaced = replaceSplices(text, splices);
  for (const kept of replaced.kept) refs.kept.push(text.slice(kept.start, kept.end));
  return replaced.text;
}

/** Node attributes a worker can tell about itself, as shell to export them. */
export const NODE_ATTRIBUTES: Record<string, string> = {
  name: '"$(hostname)"',
  hostname: '"$(hostname)"',
  username: '"$(id -un)"',
  "os-family": "unix",
  "os-name": '"$(uname -s)"',
  "os-arch": '"$(uname -m)"',
};
