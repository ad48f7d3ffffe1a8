import type { RunInfo } from "@gantry/core";
import type { RunnerLike } from "../runners/types.js";
import type { ResolveOptions } from "../secrets/index.js";
import type { RunEvent } from "./events.js";

export interface RunOptions {
  runner: RunnerLike;
  info: RunInfo;
  /** How many tasks may run at once. */
  parallel: number;
  onEvent?: (event: RunEvent) => void;
  /** Aborting cancels the run: running steps are killed, clean-up steps (`always()`) still run. */
  signal?: AbortSignal;
  /** How references in steps' `env` and `with` resolve; relative paths start at the repository root. */
  secrets?: Partial<ResolveOptions>;
}
