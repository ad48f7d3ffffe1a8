import type { GithubFeature } from "./features.js";

/**
 * The reasons a job cannot be one script that a job of steps (job-of-steps.ts) takes away: such a job
 * is converted to a node with `steps:` instead, or left with the reasons that job of steps found.
 */
export const WAITS_FOR_JOBS_OF_STEPS: ReadonlySet<GithubFeature> = new Set<GithubFeature>([
  "job-of-steps",
  "cache",
  "artifacts",
  "local-action",
  "step-steps-context",
  "step-shell-other",
  "services",
]);
