import type { ActionSpec, WorkflowSpec } from "@gantry/core";

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
  /** Where `uses: ./path` starts, instead of the file's repository (a library workflow: the library's tree). */
  root?: string;
  /** How many library workflows called this one (a guard against a circle of them). */
  libraryDepth?: number;
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
  /** The library workflow each `uses: <library>/<path>.yaml@<ref>` step calls, by step id. */
  calls?: Record<string, LoadedCall>;
}

/** A sub-workflow step's call of a library workflow, loaded with the library at its pinned commit. */
export interface LoadedCall {
  /** The called workflow's name (its `name:`, else the file's). */
  name: string;
  pin: LibraryPin;
  loaded: LoadedWorkflow;
}
