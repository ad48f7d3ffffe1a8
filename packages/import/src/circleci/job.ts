// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the converter writes workflow expressions
import type { Rewrite } from "../github-actions/expressions.js";
import { Findings } from "../report/report.js";
import { buildJobScript, type RunStep } from "../shared/job-script.js";
import { isRecord, startsWith, type YamlSource } from "../source/yaml-source.js";
import type { ExpandedJob } from "./expand.js";
import { CIRCLECI_FEATURES, type CircleFeature } from "./features.js";
import { convertCircleJobOfSteps } from "./job-of-steps.js";

type Obj = Record<string, unknown>;

export interface CircleJobInput {
  jobName: string;
  expanded: ExpandedJob;
  source: YamlSource;
  /** Pipeline parameter -> input id. */
  inputIds: Map<string, string>;
  findings: Findings<CircleFeature>;
  /** The node so far (needs, if from the workflow). */
  node: Obj;
  /** The node's id, and the needed nodes whose jobs persist to the workspace (for attach_workspace). */
  id: string;
  persistingNeeds: string[];
}

/** CircleCI's variables, from Gantry's contexts. */
const BUILT_IN_VARIABLES: Record<string, string> = {
  CI: "true",
  CIRCLECI: "true",
  CIRCLE_BRANCH: "${{ github.ref_name }}",
  CIRCLE_SHA1: "${{ github.sha }}",
  CIRCLE_TAG: "${{ startsWith(github.ref, 'refs/tags/') && github.ref_name || '' }}",
  CIRCLE_PROJECT_USERNAME: "${{ github.repository_owner }}",
  CIRCLE_PROJECT_REPONAME: "${{ github.event.repository.name }}",
  CIRCLE_REPOSITORY_URL: "${{ github.event.repository.clone_url }}",
  CIRCLE_PULL_REQUEST: "${{ github.event.pull_request.html_url }}",
  CI_PULL_REQUEST: "${{ github.event.pull_request.html_url }}",
  CIRCLE_PR_NUMBER: "${{ github.event.pull_request.number }}",
  CIRCLE_WORKFLOW_ID: "${{ run.id }}",
  CIRCLE_USERNAME: "${{ github.actor }}",
};
const BUILT_IN_PATHS: Record<string, string> = { CIRCLE_WORKING_DIRECTORY: '"$GANTRY_WORKSPACE"' };
const UNKNOWN_VARIABLES =
  /\b(CIRCLE_BUILD_NUM|CIRCLE_BUILD_URL|CIRCLE_NODE_INDEX|CIRCLE_NODE_TOTAL|CIRCLE_PREVIOUS_BUILD_NUM|CIRCLE_WORKFLOW_JOB_ID|CIRCLE_WORKFLOW_WORKSPACE_ID|CIRCLE_INTERNAL_TASK_DATA|CIRCLE_OIDC_TOKEN\w*)\b/g;

/** `<< pipeline.x >>` values Gantry knows, as expressions. */
const PIPELINE_VALUES: Record<string, string> = {
  "git.branch": "github.ref_name",
  "git.tag": "github.ref_name",
  "git.revision": "github.sha",
  "git.base_revision": "github.event.before",
  "project.git_url": "github.event.repository.clone_url",
  id: "run.id",
};
const PIPELINE = /<<\s*pipeline\.([A-Za-z0-9_.-]+)\s*>>/g;

/** Script notes of the shared builder, named in CircleCI's table. */
const NOTE_FEATURES: Record<string, CircleFeature> = {
  "step-if-status": "run-when",
  "bash-env": "bash-env",
  "step-halt": "step-halt",
  "default-variables": "builtin-variables",
};

/**
 * A CircleCI job, expanded, as a node. As for GitHub jobs, a node today is one script (after checkout):
 * run steps convert; caches, workspaces, artifacts, extra service images, orbs and other executors
 * leave the job to a failing node that says why.
 */
export function convertCircleJob(input: CircleJobInput): { node: Obj; complete: boolean; reasons: string[] } {
  const { jobName, expanded, source, findings } = input;
  const base = ["jobs", jobName];
  const at = (...path: Array<string | number>) => source.locate([...base, ...path], { key: true });
  const reasons: string[] = [];
  // What one script cannot hold but a job of steps can (caches, workspaces, artifacts, services).
  const forSteps: string[] = [];
  let services: Obj | undefined;
  const node: Obj = { ...input.node };
  const runner: Obj = {};
  const executor = expanded.executor;
  if (expanded.parameterNames.length > 0)
    findings.add("job-parameters", at("parameters"), expanded.parameterNames.join(", "));
  switch (executor.kind) {
    case "docker": {
      const first = executor.images[0] ?? {};
      runner.type = "docker";
      runner.image = String(first.image ?? "");
      if (isRecord(first.auth)) {
        runner.credentials = {
          username: String(first.auth.username ?? ""),
          password: String(first.auth.password ?? ""),
        };
      }
      const env = { ...(isRecord(first.environment) ? first.environment : {}) };
      if (Object.keys(env).length > 0) runner.env = env;
      findings.add("docker-executor", at(), runner.image as string);
      if (executor.images.length > 1) {
        services = serviceContainers(executor.images.slice(1));
        findings.add("docker-services", at(), Object.keys(services).join(", "));
        forSteps.push("service containers");
      }
      break;
    }
    case "machine":
      findings.add("machine-executor", at(), executor.name ?? "machine");
      break;
    case "none":
      break;
    default:
      findings.add("other-executor", at(), `${executor.kind}${executor.name ? ` ${executor.name}` : ""}`);
      reasons.push(
        `it runs on a ${executor.kind === "orb" ? `orb executor ${executor.name}` : `${executor.kind} executor`}`,
      );
  }
  if (executor.resourceClass) findings.add("resource-class", at(), executor.resourceClass);
  const parallelism = Number(expanded.job.parallelism ?? 1);
  if (parallelism > 1) {
    findings.add("parallelism", at("parallelism"), String(parallelism));
    reasons.push(`it splits its work over ${parallelism} parallel copies`);
  }
  for (const condition of expanded.pipelineConditions) {
    findings.add("conditional-steps-pipeline", at("steps"), condition);
    reasons.push(`a when/unless step depends on ${condition}`);
  }
  for (const orb of new Set(expanded.orbUses)) {
    findings.add("orbs", at(), orb);
    reasons.push(`it uses the orb's ${orb}`);
  }

  const pipeline = (text: string): string =>
    text.replace(PIPELINE, (all, name: string) => {
      if (name.startsWith("parameters.")) {
        const id = input.inputIds.get(name.slice("parameters.".length));
        if (id) return `\${{ inputs.${id} }}`;
      }
      const known = PIPELINE_VALUES[name];
      if (known) return `\${{ ${known} }}`;
      reasons.push(`it reads << pipeline.${name} >>, which has no value in Gantry`);
      findings.add("pipeline-values-unknown", at(), `pipeline.${name}`);
      return all;
    });
  const usesPipeline = new RegExp(PIPELINE.source);
  if (
    usesPipeline.test(JSON.stringify(expanded.steps)) ||
    usesPipeline.test(JSON.stringify(expanded.job.environment ?? ""))
  ) {
    findings.add(
      /parameters\./.test(JSON.stringify(expanded.steps)) ? "pipeline-parameters" : "pipeline-values",
      at(),
      "in the job's steps",
    );
  }

  const env: Obj = {};
  const jobEnv = isRecord(expanded.job.environment) ? expanded.job.environment : {};
  for (const [key, value] of Object.entries({ ...executor.env, ...jobEnv }))
    env[key] = typeof value === "string" ? pipeline(value) : value;
  if (Object.keys(env).length > 0)
    findings.add("environment", at("environment"), Object.keys(env).join(", "));

  const runSteps: RunStep[] = [];
  let checkout: Obj | undefined;
  expanded.steps.forEach((step, index) => {
    const where = source.locate(step.path, { key: true });
    const comments = source.comments.filter((c) => startsWith(c.path, step.path)).map((c) => c.text);
    switch (step.type) {
      case "checkout":
        if (checkout || runSteps.length > 0) {
          forSteps.push("checkout after other steps");
          return;
        }
        checkout = { depth: 0, ...(typeof step.config.path === "string" ? { path: step.config.path } : {}) };
        findings.add("checkout", where, JSON.stringify(step.config));
        return;
      case "run": {
        const c = step.config;
        const command = pipeline(String(c.command ?? ""));
        const shell = typeof c.shell === "string" ? c.shell : executor.shell;
        const when = c.when === "always" ? "always()" : c.when === "on_fail" ? "failure()" : undefined;
        if (c.no_output_timeout !== undefined)
          findings.add("no-output-timeout", where, String(c.no_output_timeout));
        if (c.background === true)
          findings.add("background", where, String(c.name ?? command.split("\n")[0]));
        const stepEnv: Obj = {};
        if (isRecord(c.environment))
          for (const [k, v] of Object.entries(c.environment))
            stepEnv[k] = typeof v === "string" ? pipeline(v) : v;
        runSteps.push({
          index,
          label:
            typeof c.name === "string"
              ? c.name
              : (command.trim().split("\n")[0] ?? `step ${index + 1}`).slice(0, 80),
          run: command,
          shell: shell ? `${shell.replace(/\s*\{0\}$/, "")} {0}` : "bash",
          env: stepEnv,
          ...(typeof c.working_directory === "string" ? { workingDirectory: c.working_directory } : {}),
          ...(when ? { if: when } : {}),
          ...(c.background === true ? { background: true } : {}),
          comments,
        });
        return;
      }
      case "setup_remote_docker":
        if (runner.type === "docker") runner.docker = true;
        findings.add(
          "setup-remote-docker",
          where,
          runner.type === "docker" ? "runner.docker: true" : "the machine's own engine",
        );
        return;
      case "add_ssh_keys":
        findings.add("add-ssh-keys", where, JSON.stringify(step.config));
        reasons.push("it adds SSH keys (add_ssh_keys)");
        return;
      case "save_cache":
      case "restore_cache":
      case "persist_to_workspace":
      case "attach_workspace":
      case "store_artifacts":
      case "store_test_results":
        forSteps.push(step.type);
        return;
      case "orb":
        return;
      default:
        findings.add("unknown-step", where, String(step.config.step ?? step.type));
        reasons.push(`it has the step ${String(step.config.step ?? step.type)}`);
    }
  });

  const all = runSteps.map((s) => s.run).join("\n");
  const unknown = [...new Set(all.match(UNKNOWN_VARIABLES) ?? [])];
  if (unknown.length > 0) findings.add("builtin-variables-unknown", at("steps"), unknown.join(", "));
  if (/(^|[\s;&|(])circleci\s+(?!-agent)/m.test(all)) findings.add("circleci-cli", at("steps"), "circleci …");

  if (reasons.length > 0) return { node, complete: false, reasons: [...new Set(reasons)] };
  const defaults = { variables: { ...BUILT_IN_VARIABLES, CIRCLE_JOB: jobName }, paths: BUILT_IN_PATHS };
  const asSteps = () => {
    const steps = convertCircleJobOfSteps({
      jobName,
      expanded,
      source,
      findings,
      pipeline,
      reserved: new Set(Object.keys(env)),
      defaults,
      id: input.id,
      persistingNeeds: input.persistingNeeds,
      ...(executor.workingDirectory ? { workingDirectory: executor.workingDirectory } : {}),
    });
    if ("reasons" in steps) return { node, complete: false, reasons: steps.reasons };
    Object.assign(env, steps.env);
    if (Object.keys(runner).length > 0) node.runner = runner;
    if (Object.keys(env).length > 0) node.env = env;
    if (services) node.services = services;
    node.steps = steps.steps;
    findings.add("job-of-steps", at("steps"), `${steps.steps.length} step(s)`);
    return { node, complete: true, reasons: [] };
  };
  // A job becomes a job of steps, each CircleCI step a step of its own; one script only when its steps
  // share $BASH_ENV, halt the job or run in the background, which one script carries.
  const trial = convertCircleJobOfSteps({
    jobName,
    expanded,
    source,
    findings: new Findings(CIRCLECI_FEATURES),
    pipeline: (text) => text,
    reserved: new Set(Object.keys(env)),
    defaults,
    id: input.id,
    persistingNeeds: input.persistingNeeds,
  });
  const oneScript = "steps" in trial ? trial.steps.length === 0 : trial.script && forSteps.length === 0;
  if (!oneScript) return asSteps();

  const built = buildJobScript(runSteps, {
    rewrite: passThrough,
    circleci: true,
    reserved: new Set(Object.keys(env)),
    defaults,
  });
  for (const note of built.notes) {
    const feature = NOTE_FEATURES[note.feature];
    if (feature)
      findings.add(
        feature,
        note.index !== undefined
          ? source.locate(expanded.steps[note.index]?.path ?? base, { key: true })
          : at("steps"),
        note.detail,
      );
  }
  if (built.blockers.length > 0) {
    return {
      node,
      complete: false,
      reasons: built.blockers.map((b) => b.detail),
    };
  }
  if (runSteps.length > 0) findings.add("run", at("steps"), `${runSteps.length} step(s) in one script`);
  Object.assign(env, built.env);
  if (Object.keys(runner).length > 0) node.runner = runner;
  if (Object.keys(env).length > 0) node.env = env;
  if (checkout) {
    node.uses = "gantry/checkout";
    node.with = {
      ...checkout,
      run: `${checkout.path !== undefined ? 'cd "$GANTRY_WORKSPACE"\n' : ""}${built.script}`,
    };
  } else {
    node.run = built.script || "true\n";
  }
  return { node, complete: true, reasons: [] };
}

/**
 * A docker executor's further images as service containers: named by their `name:` (CircleCI's host
 * name for them), else by the image's name (postgres for cimg/postgres:14.0), with their environment.
 */
function serviceContainers(images: Obj[]): Obj {
  const services: Obj = {};
  for (const image of images) {
    const ref = String(image.image ?? "");
    const base =
      typeof image.name === "string"
        ? image.name
        : (ref.split("/").at(-1)?.split(/[:@]/)[0] ?? "service").replace(/[^A-Za-z0-9_-]/g, "-");
    let name = base;
    for (let n = 2; name in services; n++) name = `${base}-${n}`;
    services[name] = {
      image: ref,
      ...(isRecord(image.environment) ? { env: image.environment } : {}),
      ...(Array.isArray(image.command) ? { command: image.command.map(String) } : {}),
    };
  }
  return services;
}

/** The expressions the converter wrote itself (inputs, github, run) pass as they are. */
function passThrough(path: string[]): Rewrite {
  return ["inputs", "github", "run"].includes(path[0] as string)
    ? { path }
    : { unsupported: `${path.join(".")} in a script` };
}
