import type { GithubFeature } from "./features.js";

type Obj = Record<string, unknown>;

/**
 * What a job becomes once Gantry has jobs of steps (#23): the node with `steps:`, each of the job's steps as
 * it is (`uses:` mapped to Gantry's actions: actions/checkout to gantry/checkout, actions/cache to
 * gantry/cache, artifacts to gantry/upload-artifact and download-artifact), `strategy.matrix` and
 * `services` kept. Unset until then, and the features below are reported as waiting for it. Switching it
 * on is this function plus the table entries of those features.
 */
export const jobOfSteps: ((job: Obj, node: Obj) => Obj) | undefined = undefined;

/** The reasons a job is left today that jobs of steps (#23) takes away. */
export const WAITS_FOR_JOBS_OF_STEPS: ReadonlySet<GithubFeature> = new Set<GithubFeature>([
  "job-of-steps",
  "cache",
  "artifacts",
  "local-action",
  "step-steps-context",
  "step-shell-other",
  "services",
]);
