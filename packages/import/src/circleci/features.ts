// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the table names workflow expressions
import { defineFeatures } from "../report/features.js";

/** CircleCI 2.1 configuration features, and what each becomes. */
export const CIRCLECI_FEATURES = defineFeatures({
  workflow: {
    source: "workflows.<name>",
    gantry: "one Gantry workflow per CircleCI workflow (<file>-<name>), its jobs as nodes of the DAG",
    outcome: "converted",
  },
  "push-trigger": {
    source: "a workflow without triggers (runs on every push)",
    gantry: "on.push for every branch, plus the tags a job's tag filter asks for",
    outcome: "converted",
  },
  "scheduled-trigger": {
    source: "triggers: schedule (cron, filters.branches)",
    gantry: "on.schedule cron (UTC), and no on.push, as a scheduled CircleCI workflow runs only on schedule",
    outcome: "difference",
    note: "the schedule runs the workflow at its source's ref rather than at the branch the filter named",
  },
  "workflow-when": {
    source: "workflows.<name>.when / unless (pipeline conditions)",
    gantry: "an if: on the workflow's first jobs, written by hand",
    outcome: "manual",
  },
  "pipeline-parameters": {
    source: "pipeline parameters (string, boolean, integer, enum) and << pipeline.parameters.x >>",
    gantry: "workflow inputs of the same types (enum as choice), read from the environment in scripts",
    outcome: "converted",
  },
  "pipeline-values": {
    source:
      "<< pipeline.git.branch >>, << pipeline.git.revision >>, << pipeline.git.tag >>, << pipeline.id >>",
    gantry: "github.ref_name, github.sha, run.id, read from the environment in scripts",
    outcome: "converted",
  },
  "pipeline-values-unknown": {
    source:
      "other pipeline values (<< pipeline.number >>, << pipeline.project.slug >>, << pipeline.trigger_source >>, …)",
    gantry: "write the value out, or take it from Gantry's run and github contexts",
    outcome: "manual",
  },
  "job-requires": {
    source: "requires",
    gantry: "needs",
    outcome: "converted",
  },
  "job-filters": {
    source: "branch and tag filters of a job (only, ignore; names and /regex/ with a literal prefix)",
    gantry: "an if: on github.ref (startsWith for a /prefix.*/ regex)",
    outcome: "converted",
  },
  "job-filters-regex": {
    source: "filter regexes beyond a literal prefix",
    gantry: "an if: on github.ref written by hand (Gantry's expressions have no regex)",
    outcome: "manual",
  },
  "job-name": {
    source: "name: of a job in a workflow",
    gantry: "the node's id",
    outcome: "converted",
  },
  "job-parameters": {
    source:
      "job parameters and << parameters.x >> (string, boolean, integer, enum, steps, executor, env_var_name)",
    gantry: "substituted into the job as CircleCI does before it runs",
    outcome: "converted",
  },
  commands: {
    source: "reusable commands (commands:, with parameters)",
    gantry: "expanded into the steps that use them",
    outcome: "converted",
  },
  "conditional-steps": {
    source: "when / unless steps with a condition known from parameters",
    gantry: "expanded or dropped as the condition says",
    outcome: "converted",
  },
  "conditional-steps-pipeline": {
    source: "when / unless steps whose condition depends on pipeline parameters",
    gantry: "an if in the script on the input, written by hand",
    outcome: "manual",
  },
  context: {
    source: "context (organisation-wide environment variables)",
    gantry: "secrets: references for each variable the context holds, set in the node's env",
    outcome: "manual",
  },
  matrix: {
    source: "matrix on a workflow job",
    gantry: "strategy.matrix on the node",
    outcome: "later",
    needs: "matrix, #23",
  },
  approval: {
    source: "type: approval jobs",
    gantry: "an approval node",
    outcome: "later",
    needs: "approvals, #24",
  },
  "no-op": {
    source: "type: no-op jobs",
    gantry: "a node that runs `true` (it joins and gates the jobs after it)",
    outcome: "converted",
  },
  "serial-group": {
    source: "serial-group",
    gantry: "concurrency: {group, policy: queue} on the workflow (Gantry's groups are per workflow)",
    outcome: "manual",
  },
  "pre-post-steps": {
    source: "pre-steps and post-steps",
    gantry: "steps before and after the job's own",
    outcome: "converted",
  },
  "docker-executor": {
    source: "docker executor: the first image (auth, environment)",
    gantry: "runner: {type: docker, image, credentials, env}",
    outcome: "converted",
  },
  "docker-services": {
    source: "docker executor: further images (service containers)",
    gantry:
      "services: on the job (named by their name:, else the image's), started first and healthy before the steps",
    outcome: "difference",
    note: "CircleCI's further containers share the job's localhost; Gantry's services are reached by their names (postgres:5432, not localhost:5432)",
  },

  "machine-executor": {
    source: "machine executor",
    gantry: "the local runner on a Gantry worker",
    outcome: "difference",
    note: "the job runs on a Gantry worker rather than a fresh CircleCI VM: the tools it needs must be installed there",
  },
  "other-executor": {
    source: "macos and windows executors, orb executors",
    gantry: "a worker on that system with a label, and runner.labels naming it",
    outcome: "manual",
  },
  executors: {
    source: "executors: (reusable)",
    gantry: "the runner of each job that uses them",
    outcome: "converted",
  },
  "resource-class": {
    source: "resource_class",
    gantry: "dropped: the worker's size",
    outcome: "difference",
    note: "Gantry runs the job on any worker of the right runner type; give bigger jobs labels of bigger workers",
  },
  parallelism: {
    source: "parallelism (test splitting)",
    gantry: "a matrix over split indexes, with the split done in the script",
    outcome: "manual",
  },
  environment: {
    source: "environment (job, executor and run step)",
    gantry: "env of the node; a run step's own env is exported inside its part of the script",
    outcome: "converted",
  },
  checkout: {
    source: "checkout (path, method)",
    gantry:
      "uses: gantry/checkout with the whole history (depth 0, as CircleCI clones), the job's script as with.run",
    outcome: "converted",
  },
  run: {
    source:
      "run steps (command, name, environment, working_directory, shell) of a job whose steps share $BASH_ENV, halt it or run in the background",
    gantry:
      "one node whose script runs each step in order in a subshell of its own, stopping at the first that fails",
    outcome: "difference",
    note: "the steps run as one script: the run page shows one log and one status for the job rather than one per step",
  },
  "run-step": {
    source: "run steps of a job that becomes a job of steps",
    gantry:
      "an inner step each (name, command, environment, working_directory, shell), with its own log section and status",
    outcome: "converted",
  },
  "run-when": {
    source: "run when: always / on_fail",
    gantry: "the script tracks whether a step failed and runs that step accordingly",
    outcome: "converted",
  },
  background: {
    source: "run background: true",
    gantry: "the step's part of the script runs in the background; Gantry ends it when the job ends",
    outcome: "converted",
  },
  "no-output-timeout": {
    source: "no_output_timeout",
    gantry: "dropped: the node's timeout applies",
    outcome: "difference",
    note: "Gantry has no timeout for silence; the node's timeout (none unless set) ends a hung job",
  },
  "bash-env": {
    source: "$BASH_ENV (variables a step exports for the next ones)",
    gantry: "read at the start of every step's part of the script, as bash does for CircleCI",
    outcome: "converted",
  },
  "step-halt": {
    source: "circleci-agent step halt",
    gantry: "ends the job's script with success after the current step, as CircleCI does",
    outcome: "converted",
  },
  "circleci-cli": {
    source: "the circleci CLI in scripts (circleci tests split, circleci run …)",
    gantry: "replace with what it did (split the tests yourself, call the tool directly)",
    outcome: "manual",
  },
  "builtin-variables": {
    source:
      "CircleCI's variables in scripts (CIRCLE_BRANCH, CIRCLE_SHA1, CIRCLE_TAG, CIRCLE_JOB, CIRCLE_PULL_REQUEST, …)",
    gantry: "the same variables set from Gantry's github and run contexts",
    outcome: "converted",
  },
  "builtin-variables-unknown": {
    source:
      "CircleCI variables Gantry has no value for (CIRCLE_BUILD_NUM, CIRCLE_NODE_INDEX, CIRCLE_BUILD_URL, …)",
    gantry: "take the value from Gantry's run context (run.id) or drop it",
    outcome: "manual",
  },
  "setup-remote-docker": {
    source: "setup_remote_docker",
    gantry: "runner.docker: true (the step gets the worker's container engine)",
    outcome: "converted",
  },
  "add-ssh-keys": {
    source: "add_ssh_keys",
    gantry: "an SSH key as a secret reference written to ~/.ssh in the script",
    outcome: "manual",
  },
  "job-of-steps": {
    source: "a job with caches, workspaces, artifacts, service images or a checkout after other steps",
    gantry: "a job node with steps: in the same order, in one workspace (run steps with when: as if:)",
    outcome: "converted",
  },
  caches: {
    source:
      "restore_cache and the save_cache of the same job (keys with checksum, .Branch, .Revision, .Environment)",
    gantry:
      "one uses: gantry/cache at the restore's place: key from save_cache, restore_keys from restore_cache's keys, checksum as hashFiles()",
    outcome: "difference",
    note: "the cache is saved at the job's end when its key missed, not at save_cache's place; hashFiles() gives other hashes than checksum, so the first run misses",
  },

  workspaces: {
    source: "persist_to_workspace (root: the job's folder), attach_workspace",
    gantry:
      "gantry/upload-artifact named workspace-<job>; attach_workspace downloads the artifact of each required job that persists",
    outcome: "difference",
    note: "only the directly required jobs' files are attached (CircleCI attaches every upstream layer), and a root other than the job's folder is not converted",
  },

  artifacts: {
    source: "store_artifacts (path, destination), store_test_results",
    gantry: "gantry/upload-artifact (named by destination; test results as test-results)",
    outcome: "difference",
    note: "test results are kept as files: Gantry shows no test insights",
  },

  orbs: {
    source: "orbs (and the orb commands, jobs and executors used)",
    gantry: "the commands the orb provided, written as steps or actions",
    outcome: "manual",
  },
  "unknown-step": {
    source: "other steps",
    gantry: "write the step by hand",
    outcome: "manual",
  },
  "yaml-anchors": {
    source: "YAML anchors, aliases and << merge keys",
    gantry: "expanded in place",
    outcome: "converted",
  },
});

export type CircleFeature = keyof typeof CIRCLECI_FEATURES;
