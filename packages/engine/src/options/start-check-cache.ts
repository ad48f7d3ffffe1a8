import type { OptionChoice } from "@gantry/core";

/**
 * What the checks of `options_from` inputs keep between run starts in one process (ProcessState): which
 * inputs of each workflow take live options (for a short while), the reads of those under way, and the
 * computed option lists that starts outside the API share.
 */
export class StartCheckCache {
  /** The `options_from` inputs of each workflow, until `until`. */
  readonly optionInputs = new Map<string, { until: number; names: string[] }>();
  /** Reads of those under way, by workflow: a request that misses the cache while one is read waits for it. */
  readonly optionInputReads = new Map<string, Promise<void>>();
  /** Option lists computed for starts that are not API requests (see OptionsResolver's cache). */
  readonly lists: OptionListCache = new Map();
}

/** Computed option lists, by workflow revision, input and the values they depend on. */
export type OptionListCache = Map<string, { at: number; until: number; answer: Promise<OptionsAnswer> }>;

/** An input's options as computed. */
export interface OptionsAnswer {
  options: OptionChoice[];
  /** Inputs it depends on that have no value yet: the list waits for them. */
  waiting_for: string[];
  /** When the list was computed (epoch ms): a cached list says how old it is. */
  computed_at: number;
  /** The run that computed it (a script or a workflow), for its log. */
  run_id?: string;
}
