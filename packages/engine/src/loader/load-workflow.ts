import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import {
  type ActionSpec,
  type Problem,
  type UsesReference,
  validateActionText,
  validateWorkflowText,
  type WorkflowSpec,
} from "@gantry/core";
import { BUILTIN_USES, builtinActionDir, builtinActionNames } from "../git/builtin-actions.js";
import { isInside, repositoryRoot } from "./repository-root.js";

/** Where a library action came from: `uses: <library>/<path>@<ref>` and the commit the ref named. */
export interface LibraryPin {
  library: string;
  path: string;
  ref: string;
  commit: string;
}

/** Finds a library action's folder (fetching the library); an error says why it cannot. */
export type LibraryResolver = (
  uses: Omit<LibraryPin, "commit">,
) => Promise<{ dir: string; root: string; pin: LibraryPin } | { error: string }>;

export interface LoadOptions {
  /** Resolves `uses: <library>/<path>@<ref>`; without it such a step is a problem. */
  libraries?: LibraryResolver;
}

export interface LoadedAction {
  /** Set for a library action: the pin a run records. */
  pin?: LibraryPin;
  spec: ActionSpec;
  /** The action's folder: scripts are relative to it. */
  dir: string;
  file: string;
}

export interface LoadedWorkflow {
  file: string;
  /** Where `uses: ./path` starts: the git repository's root, or the workflow's folder outside git. */
  root: string;
  workflow: WorkflowSpec;
  /** The action each `uses:` step runs, by step id. */
  actions: Record<string, LoadedAction>;
}

export interface LoadResult {
  loaded?: LoadedWorkflow;
  problems: Problem[];
}

const ACTION_FILES = ["action.yaml", "action.yml"];

/** Reads, validates and resolves a workflow file with its local actions. Problems carry file:line:col. */
export async function loadWorkflow(file: string, options: LoadOptions = {}): Promise<LoadResult> {
  const { shown, text, problem } = await readSource(file);
  if (problem) return { problems: [problem] };
  const validation = validateWorkflowText(shown, text);
  const root = repositoryRoot(file);
  const actions: Record<string, LoadedAction> = {};
  const problems = [...validation.problems];
  // Each action folder is read once, however many steps use it.
  const byDir = new Map<string, Promise<{ action?: LoadedAction; problems: Problem[] }>>();
  await Promise.all(
    validation.uses.map(async (ref) => {
      const resolved = await resolveUses(ref, root, options);
      if ("problem" in resolved) {
        problems.push(resolved.problem);
        return;
      }
      let pending = byDir.get(resolved.dir);
      if (!pending) {
        pending = loadAction(resolved.dir, ref);
        byDir.set(resolved.dir, pending);
      }
      const result = await pending;
      if (result.action)
        actions[ref.step] = "pin" in resolved ? { ...result.action, pin: resolved.pin } : result.action;
      // Report an action's own problems once, not once per step using it.
      else if (!problems.includes(result.problems[0] as Problem)) problems.push(...result.problems);
    }),
  );
  if (problems.length > 0 || !validation.workflow) return { problems };
  return { loaded: { file: path.resolve(file), root, workflow: validation.workflow, actions }, problems };
}

async function resolveUses(
  ref: UsesReference,
  root: string,
  options: LoadOptions,
): Promise<{ dir: string; pin?: LibraryPin } | { problem: Problem }> {
  const builtin = BUILTIN_USES.exec(ref.uses)?.[1];
  if (builtin !== undefined) {
    const dir = await builtinActionDir(builtin);
    if (dir) return { dir };
    return {
      problem: {
        ...ref.problemAt,
        message: `steps.${ref.step}.uses: '${ref.uses}' is not a built-in action (built-in: ${builtinActionNames()
          .map((n) => `gantry/${n}`)
          .join(", ")})`,
      },
    };
  }
  if (!ref.uses.startsWith("./") && !ref.uses.startsWith("../")) {
    const library = ref.uses.split("/")[0] as string;
    if (options.libraries) {
      const at = ref.uses.lastIndexOf("@");
      const found = await options.libraries({
        library,
        path: ref.uses.slice(library.length + 1, at),
        ref: ref.uses.slice(at + 1),
      });
      if ("error" in found)
        return { problem: { ...ref.problemAt, message: `steps.${ref.step}.uses: ${found.error}` } };
      if (!isInside(found.root, found.dir))
        return {
          problem: { ...ref.problemAt, message: `steps.${ref.step}.uses: '${ref.uses}' leaves the library` },
        };
      return { dir: found.dir, pin: found.pin };
    }
    return {
      problem: {
        ...ref.problemAt,
        message: `steps.${ref.step}.uses: library '${library}' is not configured (libraries are declared in gantry.yaml)`,
      },
    };
  }
  const dir = path.resolve(root, ref.uses);
  if (!isInside(root, dir)) {
    return {
      problem: {
        ...ref.problemAt,
        message: `steps.${ref.step}.uses: '${ref.uses}' leaves the repository root ${root}`,
      },
    };
  }
  return { dir };
}

async function loadAction(
  dir: string,
  ref: UsesReference,
): Promise<{ action?: LoadedAction; problems: Problem[] }> {
  const file = ACTION_FILES.map((name) => path.join(dir, name)).find((f) => existsSync(f));
  if (!file) {
    return {
      problems: [
        { ...ref.problemAt, message: `steps.${ref.step}.uses: no action.yaml in '${ref.uses}' (${dir})` },
      ],
    };
  }
  return loadActionFile(file);
}

/** Reads and validates one action file, including that its script exists inside its folder. */
export async function loadActionFile(file: string): Promise<{ action?: LoadedAction; problems: Problem[] }> {
  const dir = path.dirname(file);
  const { shown, text, problem } = await readSource(file);
  if (problem) return { problems: [problem] };
  const validation = validateActionText(shown, text);
  const spec = validation.action;
  if (!spec) return { problems: validation.problems };
  if (spec.runs.script !== undefined) {
    const script = path.resolve(dir, spec.runs.script);
    const at = { file: shown, ...(validation.source?.locate(["runs", "script"]) ?? { line: 1, col: 1 }) };
    if (!isInside(dir, script)) {
      return {
        problems: [{ ...at, message: `runs.script: '${spec.runs.script}' leaves the action's folder` }],
      };
    }
    if (!existsSync(script)) {
      return {
        problems: [{ ...at, message: `runs.script: '${spec.runs.script}' does not exist in ${dir}` }],
      };
    }
  }
  return { action: { spec, dir, file }, problems: [] };
}

/** A file's text, or the problem that kept it from being read, with the name problems use for it. */
async function readSource(file: string): Promise<{ shown: string; text: string; problem?: Problem }> {
  const shown = displayPath(file);
  try {
    return { shown, text: await readFile(file, "utf8") };
  } catch (error) {
    return { shown, text: "", problem: { file: shown, line: 1, col: 1, message: readError(error) } };
  }
}

/** How a problem names a file: relative to the working folder when inside it, else absolute. */
function displayPath(file: string): string {
  const absolute = path.resolve(file);
  return isInside(process.cwd(), absolute) ? path.relative(process.cwd(), absolute) : absolute;
}

function readError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return "file not found";
  if (code === "EISDIR") return "is a folder, not a file";
  if (code === "EACCES") return "permission denied";
  return `cannot read: ${(error as Error).message}`;
}
