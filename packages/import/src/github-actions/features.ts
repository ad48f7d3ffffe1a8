// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the table names workflow expressions
import { defineFeatures } from "../report/features.js";

/** GitHub Actions workflow and action features, and what each becomes. */
export const GITHUB_ACTIONS_FEATURES = defineFeatures({
  workflow: {
    source: "a workflow file (.github/workflows/*.yml)",
    gantry: "one workflow named after the file, its name as description",
    outcome: "converted",
  },
  "on-push": {
    source: "on.push (branches, branches-ignore, tags, tags-ignore, paths, paths-ignore)",
    gantry: "on.push with the same filters and GitHub's pattern rules",
    outcome: "converted",
  },
  "on-pull-request": {
    source: "on.pull_request (branches, branches-ignore, paths, paths-ignore, types)",
    gantry: "on.pull_request with the same filters and types",
    outcome: "converted",
  },
  "on-schedule": {
    source: "on.schedule cron (UTC)",
    gantry: "on.schedule cron (UTC)",
    outcome: "converted",
  },
  "on-dispatch": {
    source: "on.workflow_dispatch",
    gantry: "on.manual (the UI's run form, the API, gantry CLI)",
    outcome: "converted",
  },
  "dispatch-inputs": {
    source: "workflow_dispatch inputs (string, boolean, number, choice; required, default, description)",
    gantry:
      "inputs of the same types (choice options as enum), read as ${{ inputs.x }} (also where the source read github.event.inputs.x)",
    outcome: "converted",
  },
  "dispatch-input-required": {
    source: "required workflow_dispatch inputs of a workflow that other events start too",
    gantry: "an input that is not required",
    outcome: "difference",
    note: "GitHub asks for it only when a person starts the workflow (other events run with it empty); Gantry would ask it of every trigger, schedules included, so it is optional and the run form no longer insists",
  },
  "dispatch-input-environment": {
    source: "workflow_dispatch inputs of type environment",
    gantry: "a string input",
    outcome: "difference",
    note: "Gantry has no environments to choose from yet (#24): the input is free text",
  },
  "on-workflow-call": {
    source: "on.workflow_call (a reusable workflow: inputs, outputs, secrets)",
    gantry: "a workflow called with uses: workflow:<name>; its inputs are declared already",
    outcome: "later",
    needs: "sub-workflows, #25",
  },
  "on-workflow-run": {
    source: "on.workflow_run (workflows, types: completed)",
    gantry:
      "on.workflow: {name, result: [success, failure, cancelled]}; github.event.workflow_run.conclusion is trigger.result",
    outcome: "difference",
    note: "it names the Gantry workflow converted from that GitHub workflow (its file name); runs started by a requested event, and branches filters, are not kept",
  },
  "on-pull-request-target": {
    source: "on.pull_request_target",
    gantry: "on.pull_request; fork pull requests with secrets need on.pull_request.forks (#23)",
    outcome: "manual",
  },
  "on-other": {
    source: "other events (release, issues, issue_comment, repository_dispatch, merge_group, …)",
    gantry: "on.webhook with a GitHub webhook for that event, mapping the payload to inputs",
    outcome: "manual",
  },
  permissions: {
    source: "permissions (of GITHUB_TOKEN)",
    gantry: "dropped: steps get no GitHub token but the secrets they reference",
    outcome: "difference",
    note: "Gantry hands out no GITHUB_TOKEN: a step that calls GitHub needs a token as a secret reference",
  },
  "run-name": {
    source: "run-name",
    gantry: "dropped",
    outcome: "difference",
    note: "Gantry names runs by their id and trigger",
  },
  env: {
    source: "env (workflow, job and step)",
    gantry: "env of the workflow, of the job and of each step",
    outcome: "converted",
  },

  concurrency: {
    source: "concurrency with cancel-in-progress: true",
    gantry: "concurrency: {group, policy: cancel-running}",
    outcome: "converted",
  },
  "concurrency-queue": {
    source: "concurrency without cancel-in-progress",
    gantry: "concurrency: {group, policy: queue}",
    outcome: "difference",
    note: "Gantry queues every waiting run, where GitHub keeps only the newest pending one and cancels older pending ones",
  },
  "concurrency-job": {
    source: "concurrency on a job, or cancel-in-progress as an expression",
    gantry: "concurrency on the workflow (Gantry's groups are per workflow)",
    outcome: "manual",
  },
  job: {
    source: "jobs.<id>",
    gantry: "a node of the workflow's DAG with the same id",
    outcome: "converted",
  },
  needs: {
    source: "jobs.<id>.needs",
    gantry: "needs",
    outcome: "converted",
  },
  "job-if": {
    source: "jobs.<id>.if (with success(), failure(), always(), cancelled())",
    gantry: "if, with the same status functions and the same implicit success()",
    outcome: "converted",
  },
  "job-outputs": {
    source: "jobs.<id>.outputs from steps.<step>.outputs.<name>",
    gantry:
      "the node's outputs (its steps write $GITHUB_OUTPUT, which Gantry provides); needs.<job>.outputs.x becomes steps.<job>.outputs.<name>",
    outcome: "converted",
  },
  "job-outputs-expression": {
    source: "jobs.<id>.outputs computed by an expression",
    gantry: "write the value to $GITHUB_OUTPUT in the job's script",
    outcome: "manual",
  },
  "runs-on-hosted": {
    source: "runs-on: ubuntu-* (a GitHub-hosted Linux runner)",
    gantry: "the local runner on a Gantry worker (or the docker runner when a setup action chose an image)",
    outcome: "difference",
    note: "the job runs on a Gantry worker, not a fresh GitHub VM: the tools of GitHub's runner image are there only if the worker has them",
  },
  "runs-on-self-hosted": {
    source: "runs-on: self-hosted labels",
    gantry: "runner.labels (a worker must have all of them)",
    outcome: "converted",
  },
  "runs-on-other": {
    source: "runs-on: windows-*, macos-*, groups or expressions",
    gantry: "a worker on that system with a label, and runner.labels naming it",
    outcome: "manual",
  },
  "timeout-minutes": {
    source: "jobs.<id>.timeout-minutes",
    gantry: "timeout",
    outcome: "converted",
  },
  "continue-on-error": {
    source: "jobs.<id>.continue-on-error",
    gantry: "continue_on_error",
    outcome: "converted",
  },
  container: {
    source: "jobs.<id>.container (image, env, credentials)",
    gantry: "runner: {type: docker, image, env, credentials}",
    outcome: "converted",
  },
  "container-options": {
    source: "jobs.<id>.container options, ports, volumes",
    gantry: "runner.volumes for host paths; the other docker options have no counterpart",
    outcome: "manual",
  },
  services: {
    source: "jobs.<id>.services (image, env, ports, options) of a job in a container",
    gantry:
      "services: on the docker job, started first on a network shared with it, reachable by their names",
    outcome: "converted",
  },
  "services-no-container": {
    source: "jobs.<id>.services of a job that runs on the runner's machine (not in a container)",
    gantry:
      "give the job a container (container: or a setup action's image); its steps then reach each service by its name, not localhost",
    outcome: "manual",
  },

  matrix: {
    source: "jobs.<id>.strategy.matrix (include, exclude, fail-fast, max-parallel) and matrix.<axis>",
    gantry:
      "strategy: {matrix, fail_fast, max_parallel} on the node, built by GitHub's include/exclude rules; matrix.<axis> as it is",
    outcome: "converted",
  },
  environment: {
    source: "jobs.<id>.environment (name, url)",
    gantry: "environment: on the node, with its approvers and secrets",
    outcome: "later",
    needs: "environments, #24",
  },
  "reusable-call": {
    source: "jobs.<id>.uses (calling a reusable workflow) with with: and secrets:",
    gantry: "a node uses: workflow:<name> with with:",
    outcome: "later",
    needs: "sub-workflows, #25",
  },
  "run-steps": {
    source: "a job whose run: steps (bash or sh) pass values on through $GITHUB_ENV or $GITHUB_PATH",
    gantry:
      "one node whose script runs each step in order in a subshell of its own (own directory, own shell variables), reading $GITHUB_ENV and $GITHUB_PATH between them, stopping at the first that fails",
    outcome: "difference",
    note: "the steps run as one script: the run page shows one log and one status for the job rather than one per step",
  },

  checkout: {
    source: "actions/checkout (fetch-depth, ref, repository, path, token, submodules, lfs)",
    gantry:
      "uses: gantry/checkout (depth, ref, repository, path, token; submodules and lfs as git commands in its with.run), a step of the job",
    outcome: "converted",
  },

  "checkout-credentials": {
    source: "actions/checkout credentials kept for git push (persist-credentials)",
    gantry: "a token in the script's git configuration",
    outcome: "difference",
    note: "gantry/checkout removes its credentials before the script runs: a script that pushes needs its own token",
  },
  "checkout-other": {
    source:
      "actions/checkout options sparse-checkout, filter, clean, fetch-tags, set-safe-directory, show-progress",
    gantry: "dropped (a shallow clone of the commit into a fresh folder)",
    outcome: "difference",
    note: "these options are not applied; add the git commands to the script if the job needs them",
  },
  "setup-image": {
    source:
      "actions/setup-node, setup-python, setup-go, setup-java, ruby/setup-ruby, setup-dotnet with a version",
    gantry:
      "the docker runner with the language's official image (node:20, python:3.12, golang:1.22, eclipse-temurin:21, …)",
    outcome: "difference",
    note: "the job runs in that image: tools GitHub's runner image has but the official image lacks are not there",
  },
  "setup-cache": {
    source: "the cache option of a setup action",
    gantry:
      "dropped: add a gantry/cache step for the package manager's cache folder, moved into the workspace",
    outcome: "difference",
    note: "dependencies are downloaded at every run unless a gantry/cache step keeps them",
  },

  "setup-unconvertible": {
    source: "setup actions without a literal version (version files, expressions), or two in one job",
    gantry: "choose an image with the right versions for runner.image",
    outcome: "manual",
  },
  "job-of-steps": {
    source:
      "a job's steps (run:, actions/checkout, actions/cache, the artifact actions, setup actions, python steps, steps.<id> between them)",
    gantry:
      "a job node with steps: in the same order, one workspace; each step keeps its name, id, if, env, continue-on-error, timeout-minutes, working-directory and shell, and its own log section and status",
    outcome: "converted",
  },

  "step-id-renamed": {
    source: "a step id that is also a job id",
    gantry: "the step's id with _step added, and steps.<id> inside the job renamed with it",
    outcome: "difference",
    note: "Gantry's steps.<id> names the DAG's nodes and the job's own steps alike, so the two ids must differ",
  },
  "github-env-steps": {
    source:
      "$GITHUB_ENV and $GITHUB_PATH in a job that must be a job of steps (it uses actions/cache, the artifact actions, services, …)",
    gantry:
      "write the values as outputs ($GITHUB_OUTPUT) and read them in the next steps' env: with ${{ steps.<id>.outputs.x }}",
    outcome: "manual",
  },
  "step-timeout-steps": {
    source: "steps[*].timeout-minutes in a job of steps",
    gantry: "the inner step's timeout",
    outcome: "converted",
  },

  cache: {
    source: "actions/cache (key, restore-keys, path) with hashFiles() in its key",
    gantry:
      "uses: gantry/cache in a job of steps (restored at its place, saved at the job's end when the key missed; scoped by branch as GitHub's)",
    outcome: "converted",
  },
  "cache-split": {
    source: "actions/cache/restore and actions/cache/save",
    gantry: "one uses: gantry/cache step (it restores at its place and saves at the job's end)",
    outcome: "manual",
  },
  "cache-path-outside": {
    source: "actions/cache paths outside the workspace (~/.npm, /tmp/…)",
    gantry:
      "point the tool's cache into the workspace (npm --cache .npm, PIP_CACHE_DIR=.pip) and cache that path",
    outcome: "manual",
  },

  artifacts: {
    source:
      "actions/upload-artifact (name, path, retention-days, if-no-files-found), actions/download-artifact (name, path, run-id)",
    gantry: "uses: gantry/upload-artifact, gantry/download-artifact in a job of steps",
    outcome: "converted",
  },
  "artifacts-unnamed": {
    source: "actions/upload-artifact or download-artifact without a name (all of a run's artifacts)",
    gantry: "one step per artifact, each with its name",
    outcome: "manual",
  },
  "action-inputs-dropped": {
    source:
      "inputs of actions/cache and the artifact actions that Gantry's have not (compression-level, overwrite, pattern, merge-multiple, enableCrossOsArchive, …)",
    gantry: "dropped",
    outcome: "difference",
    note: "Gantry's action does what the input's default does",
  },

  "local-action": {
    source: "a local action (uses: ./path) in a job",
    gantry:
      "convert the action too (gantry import github-actions path/action.yml), put it beside the workflow and use it as uses: ./actions/<name> in the job's steps",
    outcome: "manual",
  },

  "third-party-action": {
    source: "other actions (uses: owner/repo@ref, docker://)",
    gantry: "a Gantry action doing the same (most wrap a CLI a script can call)",
    outcome: "manual",
  },
  "step-if": {
    source: "steps[*].if without status functions",
    gantry: "the step's if (with GitHub's implicit success()), or a test before its part of a one-script job",
    outcome: "converted",
  },

  "step-if-status": {
    source: "steps[*].if with success(), failure(), always()",
    gantry:
      "the same status functions in the step's if; in a one-script job, the script tracks whether a step failed",
    outcome: "converted",
  },

  "step-steps-context": {
    source: "steps.<id>.outputs, outcome and conclusion read inside the same job",
    gantry: "steps.<id>.outputs, outcome and result of the job's own steps",
    outcome: "converted",
  },

  "step-continue-on-error": {
    source: "steps[*].continue-on-error",
    gantry: "the step's continue_on_error; in a one-script job, the script notes the failure and goes on",
    outcome: "converted",
  },

  "step-timeout": {
    source: "steps[*].timeout-minutes in a one-script job",
    gantry: "dropped: the job's timeout applies to the whole script",
    outcome: "difference",
    note: "a single step's time limit is not applied inside the job's script; the job's timeout still is",
  },

  "step-working-directory": {
    source: "working-directory (steps and defaults.run)",
    gantry: "cd at the start of the step's script",
    outcome: "converted",
  },

  "step-shell": {
    source: "shell: bash, sh, bash -l {0}, python (steps and defaults.run)",
    gantry:
      "the same shell options at the start of the step's script (a login shell sources the profile); python as Gantry's python shell",
    outcome: "converted",
  },

  "step-shell-other": {
    source: "shell: pwsh, cmd, powershell or another program (python converts)",
    gantry:
      "rewrite the step for bash, sh, python or node, or run it in an image that has the shell and call it from bash",
    outcome: "manual",
  },

  "github-env": {
    source: "$GITHUB_ENV and $GITHUB_PATH written by steps",
    gantry: "a one-script job that reads them between its steps, as GitHub does",
    outcome: "converted",
  },

  "step-summary": {
    source: "$GITHUB_STEP_SUMMARY",
    gantry:
      "the same file, which Gantry sets ($GANTRY_STEP_SUMMARY too): the run page shows the job's summary",
    outcome: "converted",
  },

  "default-variables": {
    source:
      "GitHub's default variables in scripts (GITHUB_SHA, GITHUB_REF, GITHUB_REPOSITORY, RUNNER_TEMP, CI, …)",
    gantry: "the same variables set from Gantry's github and run contexts",
    outcome: "converted",
  },
  "script-expressions": {
    source: "${{ }} inside run: scripts",
    gantry:
      'env variables the script reads as "$NAME": outside data is never spliced into script text (GitHub\'s own hardening advice)',
    outcome: "converted",
  },
  secrets: {
    source: "secrets.<NAME>",
    gantry:
      "secrets: NAME: ref+env://NAME (a placeholder to point at your secret store), read as ${{ secrets.NAME }}",
    outcome: "difference",
    note: "each secret is a reference you fill in (ref+vault://…, ref+sops://…); ref+env:// reads the worker's environment meanwhile",
  },
  "github-token": {
    source: "secrets.GITHUB_TOKEN and github.token",
    gantry: "secrets.GITHUB_TOKEN as a reference to a token you provide",
    outcome: "difference",
    note: "Gantry has no automatic GitHub token: give a token (a GitHub App's or a fine-grained one) as a secret reference",
  },
  "github-context": {
    source:
      "github.* (event_name, event, ref, ref_name, sha, repository, actor, head_ref, base_ref, workflow, run_id)",
    gantry: "Gantry's github context; workflow and run_id from the run context",
    outcome: "converted",
  },
  "context-unsupported": {
    source: "contexts and functions Gantry lacks (hashFiles, runner.*, job.*, github.run_number, …)",
    gantry: "rewrite the part that uses them",
    outcome: "manual",
  },
  "action-inputs": {
    source: "an action's inputs (description, required, default) and outputs",
    gantry: "the Gantry action's inputs (type string) and outputs",
    outcome: "converted",
  },
  "composite-action": {
    source: "a composite action (runs.using: composite) with run: steps only",
    gantry: "a Gantry action (runs.using: bash) whose script runs the steps in order; inputs as INPUT_<NAME>",
    outcome: "difference",
    note: 'the steps run as one script; the inputs\' ${{ inputs.x }} are read as "$INPUT_X"',
  },
  "composite-action-steps": {
    source: "a composite action with uses: steps",
    gantry: "a composite Gantry action (runs: {steps: …})",
    outcome: "later",
    needs: "composite actions, #23",
  },
  "javascript-docker-action": {
    source: "a JavaScript or Docker action (runs.using: node20, docker)",
    gantry: "a Gantry action with runs.using: node (script: the bundle) or container (image)",
    outcome: "manual",
  },
  "yaml-anchors": {
    source: "YAML anchors and aliases",
    gantry: "expanded in place",
    outcome: "converted",
  },
});

export type GithubFeature = keyof typeof GITHUB_ACTIONS_FEATURES;
