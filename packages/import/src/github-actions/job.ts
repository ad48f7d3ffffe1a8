// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the converter writes workflow expressions
import { Findings } from "../report/report.js";
import { buildJobScript, type RunStep } from "../shared/job-script.js";
import { isRecord, startsWith, type YamlSource } from "../source/yaml-source.js";
import { rewriteExpression } from "./expressions.js";
import { GITHUB_ACTIONS_FEATURES, type GithubFeature } from "./features.js";
import { convertJobOfSteps } from "./job-of-steps.js";
import { checkoutInputs, classifyAction } from "./known-actions.js";
import { WAITS_FOR_JOBS_OF_STEPS } from "./later.js";
import { nodeRewriter, secret, type WorkflowScope } from "./references.js";
import { placeholderRun, rewriteMap, rewriteValue } from "./values.js";

type Obj = Record<string, unknown>;

export interface JobInput {
  id: string;
  job: Obj;
  source: YamlSource;
  scope: WorkflowScope;
  findings: Findings<GithubFeature>;
  /** The workflow's defaults.run (shell, working-directory). */
  defaults: Obj;
}

export interface ConvertedJob {
  node: Obj;
  complete: boolean;
  /** Source paths whose comments belong to a part of the node (the checkout, the setup action). */
  commentRoutes: Array<{ from: Array<string | number>; to: Array<string | number> }>;
  /** Why it was not converted (empty when it was). */
  reasons: string[];
}

interface Blocker {
  feature: GithubFeature;
  detail: string;
  at: { line: number; col: number };
}

const HOSTED = /^(ubuntu|windows|macos)-/;

/**
 * A GitHub job as a node of the DAG. Today a node is one script (or gantry/checkout and a script), so a
 * job converts when its steps are `run:` steps, optionally after actions/checkout and one setup action
 * (which picks the container image). Anything a node cannot hold yet (actions, a matrix, services, an
 * environment, a reusable workflow) leaves a node that fails saying why, with the job quoted beside it:
 * jobs of steps (#23) will take those.
 */
export function convertJob(input: JobInput): ConvertedJob {
  const { id, job, source, scope, findings } = input;
  const base = ["jobs", id];
  const at = (...path: Array<string | number>) => source.locate([...base, ...path], { key: true });
  const blockers: Blocker[] = [];
  const block = (feature: GithubFeature, detail: string, where = at()) =>
    blockers.push({ feature, detail, at: where });
  const needsList = Array.isArray(job.needs)
    ? job.needs.map(String)
    : typeof job.needs === "string"
      ? [job.needs]
      : [];
  const needs = new Set(needsList);
  const jobEnv = new Set(isRecord(job.env) ? Object.keys(job.env) : []);
  const hasMatrix = isRecord(job.strategy) && job.strategy.matrix !== undefined;
  const rewrite = nodeRewriter(scope, { job: id, needs, env: jobEnv, matrix: hasMatrix });
  const node: Obj = {};
  findings.add("job", at(), id);

  // What a node cannot hold yet.
  if (typeof job.uses === "string") block("reusable-call", job.uses, at("uses"));
  if (hasMatrix) {
    const strategy = convertStrategy(
      job.strategy as Obj,
      nodeRewriter(scope, { job: id, needs, env: jobEnv }),
    );
    if ("unsupported" in strategy) block("matrix", strategy.unsupported, at("strategy"));
    else {
      node.strategy = strategy.value;
      findings.add("matrix", at("strategy"), matrixSummary((job.strategy as Obj).matrix));
    }
  }
  if (job.services !== undefined)
    block(
      "services",
      isRecord(job.services) ? Object.keys(job.services).join(", ") : "services",
      at("services"),
    );
  if (job.environment !== undefined) {
    const env = isRecord(job.environment) ? String(job.environment.name) : String(job.environment);
    block("environment", env, at("environment"));
  }
  if (job.concurrency !== undefined)
    findings.add("concurrency-job", at("concurrency"), JSON.stringify(job.concurrency));
  if (job.permissions !== undefined)
    findings.add("permissions", at("permissions"), JSON.stringify(job.permissions));

  // Where it runs.
  const runner: Obj = {};
  const runsOn = job["runs-on"];
  const labels = typeof runsOn === "string" ? [runsOn] : Array.isArray(runsOn) ? runsOn.map(String) : [];
  if (runsOn !== undefined && typeof job.uses !== "string") {
    if (labels.length === 0 || labels.some((l) => l.includes("${{"))) {
      if (!(isRecord(job.strategy) && job.strategy.matrix !== undefined))
        block("runs-on-other", JSON.stringify(runsOn), at("runs-on"));
    } else if (labels.some((l) => /^(windows|macos)/.test(l)))
      block("runs-on-other", labels.join(", "), at("runs-on"));
    else if (labels.includes("self-hosted")) {
      const own = labels.filter((l) => l !== "self-hosted");
      if (own.length > 0) runner.labels = own;
      findings.add("runs-on-self-hosted", at("runs-on"), own.join(", ") || "self-hosted");
    } else if (labels.every((l) => HOSTED.test(l) || l === "ubuntu-latest" || l === "ubuntu-slim")) {
      findings.add("runs-on-hosted", at("runs-on"), labels.join(", "));
    } else {
      runner.labels = labels;
      findings.add("runs-on-self-hosted", at("runs-on"), labels.join(", "));
    }
  }
  if (isRecord(job.container) || typeof job.container === "string")
    containerRunner(job.container, runner, at("container"), rewrite, findings, block);

  // The steps: run steps, after at most one actions/checkout and one setup action.
  const steps = Array.isArray(job.steps) ? job.steps.filter(isRecord) : [];
  const runSteps: RunStep[] = [];
  let checkout: Obj | undefined;
  let image: string | undefined;
  const commentRoutes: ConvertedJob["commentRoutes"] = [];
  steps.forEach((step, index) => {
    const where = at("steps", index);
    const label =
      typeof step.name === "string"
        ? step.name
        : typeof step.uses === "string"
          ? step.uses
          : firstLine(String(step.run ?? `step ${index + 1}`));
    if (typeof step.run === "string") {
      runSteps.push({
        index,
        label,
        run: step.run,
        ...(typeof step.shell === "string" ? { shell: step.shell } : {}),
        ...(typeof step["working-directory"] === "string"
          ? { workingDirectory: step["working-directory"] }
          : {}),
        env: isRecord(step.env) ? step.env : {},
        ...(step.if !== undefined ? { if: step.if } : {}),
        ...(step["continue-on-error"] !== undefined ? { continueOnError: step["continue-on-error"] } : {}),
        ...(step["timeout-minutes"] !== undefined ? { timeoutMinutes: step["timeout-minutes"] } : {}),
        comments: source.comments
          .filter((c) => startsWith(c.path, [...base, "steps", index]))
          .map((c) => c.text),
      });
      return;
    }
    if (typeof step.uses !== "string") return;
    const w = isRecord(step.with) ? step.with : {};
    const kind = classifyAction(step.uses, w);
    if (kind.kind === "checkout") {
      if (checkout || runSteps.length > 0 || step.if !== undefined)
        block("job-of-steps", `${step.uses} after other steps, twice, or with if:`, where);
      else {
        checkout = w;
        findings.add("checkout", where, step.uses);
        commentRoutes.push({ from: [...base, "steps", index], to: ["steps", id, "with"] });
      }
      return;
    }
    if (kind.kind === "setup") {
      if (kind.cache) findings.add("setup-cache", where, `${step.uses} cache: ${kind.cache}`);
      if (kind.problem) block("setup-unconvertible", kind.problem, where);
      else if (image || runner.image)
        block("setup-unconvertible", `${step.uses}: a second image for one job`, where);
      else if (step.if !== undefined) block("job-of-steps", `${step.uses} with if:`, where);
      else {
        image = kind.image;
        findings.add("setup-image", where, `${step.uses} -> image ${kind.image}`);
        commentRoutes.push({ from: [...base, "steps", index], to: ["steps", id, "runner"] });
      }
      return;
    }
    block(kind.feature, kind.detail, where);
  });
  if (image) {
    runner.type = "docker";
    runner.image = image;
  }

  // The node.
  if (typeof job.name === "string") {
    const name = rewriteValue(job.name, rewrite);
    if ("value" in name) node.name = name.value;
  }
  if (needsList.length > 0) {
    node.needs = needsList.map((n) => scope.jobs.get(n) ?? n);
    findings.add("needs", at("needs"), needsList.join(", "));
  }
  if (job.if !== undefined) {
    const raw = String(job.if).trim();
    const text = /^\$\{\{[\s\S]*\}\}$/.test(raw) ? raw.slice(3, -2).trim() : raw;
    const result = rewriteExpression(text, rewrite);
    if (result.unsupported.length > 0) {
      for (const u of result.unsupported)
        block((u.feature ?? "context-unsupported") as GithubFeature, `if: ${u.reason}`, at("if"));
    } else {
      node.if = `\${{ ${result.text} }}`;
      findings.add("job-if", at("if"), text);
    }
  }
  if (job["continue-on-error"] !== undefined) {
    const value = rewriteValue(job["continue-on-error"], rewrite);
    if ("value" in value) {
      node.continue_on_error = value.value;
      findings.add("continue-on-error", at("continue-on-error"), String(job["continue-on-error"]));
    } else block("context-unsupported", `continue-on-error: ${value.unsupported}`, at("continue-on-error"));
  }
  const timeout = job["timeout-minutes"];
  if (typeof timeout === "number") {
    node.timeout = `${timeout}m`;
    findings.add("timeout-minutes", at("timeout-minutes"), `${timeout} minutes`);
  } else if (timeout !== undefined)
    block("context-unsupported", `timeout-minutes: ${String(timeout)}`, at("timeout-minutes"));

  const { values: env, dropped } = rewriteMap(job.env, rewrite);
  for (const d of dropped)
    block(
      (d.feature ?? "context-unsupported") as GithubFeature,
      `env.${d.key}: ${d.reason}`,
      at("env", d.key),
    );
  if (Object.keys(env).length > 0) findings.add("env", at("env"), Object.keys(env).join(", "));
  if (isRecord(job.outputs)) {
    const mapped = input.scope.outputs.get(id) ?? new Map();
    for (const name of Object.keys(job.outputs)) {
      if (mapped.has(name))
        findings.add("job-outputs", at("outputs", name), `${name} <- ${mapped.get(name)}`);
      else
        findings.add("job-outputs-expression", at("outputs", name), `${name}: ${String(job.outputs[name])}`);
    }
  }

  // A job becomes a job of steps, each GitHub step a step of its own (its log section, its status). Only
  // when its steps pass values on through $GITHUB_ENV / $GITHUB_PATH, which the steps of a job of steps
  // do not share, is it one script, which reads them between its parts as GitHub does.
  // Why a job of steps could not hold it, when it became one script instead: said too if that fails.
  const notSteps: Blocker[] = [];
  if (typeof job.uses !== "string" && blockers.every((b) => WAITS_FOR_JOBS_OF_STEPS.has(b.feature))) {
    const trial = convertJobOfSteps({
      ...input,
      findings: new Findings(GITHUB_ACTIONS_FEATURES),
      rewrite,
      runner,
    });
    const oneScript =
      blockers.length === 0 &&
      ("steps" in trial
        ? trial.steps.length === 0
        : trial.blockers.every((b) => b.feature === "github-env-steps"));
    if (oneScript && "blockers" in trial) notSteps.push(...trial.blockers);
    if (!oneScript) {
      const steps = convertJobOfSteps({ ...input, rewrite, runner });
      if ("steps" in steps) {
        if (Object.keys(env).length > 0) node.env = env;
        if (Object.keys(runner).length > 0) node.runner = runner;
        if (steps.services) node.services = steps.services;
        node.steps = steps.steps;
        if (steps.outputs) node.outputs = steps.outputs;
        return { node: order(node), complete: true, reasons: [], commentRoutes: steps.routes };
      }
      blockers.splice(0, blockers.length, ...steps.blockers);
    }
  }

  let script = "";
  if (blockers.length === 0 && typeof job.uses !== "string") {
    const jobDefaults = isRecord(job.defaults) && isRecord(job.defaults.run) ? job.defaults.run : {};
    const shell = jobDefaults.shell ?? input.defaults.shell;
    const workingDirectory = jobDefaults["working-directory"] ?? input.defaults["working-directory"];
    const built = buildJobScript(runSteps, {
      rewrite,
      reserved: new Set(Object.keys(env)),
      ...(typeof shell === "string" ? { defaultShell: shell } : {}),
      ...(typeof workingDirectory === "string" ? { defaultWorkingDirectory: workingDirectory } : {}),
    });
    for (const note of built.notes) {
      findings.add(
        note.feature as GithubFeature,
        note.index !== undefined ? at("steps", note.index) : at("steps"),
        note.detail,
      );
    }
    for (const blocker of built.blockers) {
      block(
        blocker.feature as GithubFeature,
        blocker.detail,
        blocker.index !== undefined ? at("steps", blocker.index) : at("steps"),
      );
    }
    Object.assign(env, built.env);
    script = built.script;
  }

  if (blockers.length > 0) blockers.push(...notSteps);
  if (blockers.length > 0) {
    // What a job of steps would take is not why the job is left: the other reasons are.
    const stopping = blockers.filter((b) => !WAITS_FOR_JOBS_OF_STEPS.has(b.feature));
    // What the job of steps would still find (services without a container, …) is said too.
    if (stopping.length > 0 && stopping.length < blockers.length) {
      const trial = convertJobOfSteps({
        ...input,
        findings: new Findings(GITHUB_ACTIONS_FEATURES),
        rewrite,
        runner,
      });
      if ("blockers" in trial)
        for (const b of trial.blockers)
          if (!stopping.some((s) => s.feature === b.feature && s.detail === b.detail)) stopping.push(b);
    }
    const shown = stopping.length > 0 ? stopping : blockers;
    for (const b of shown) findings.add(b.feature, b.at, `${b.detail} (job ${id})`);
    const reasons = [...new Set(shown.map((b) => reason(b)))];
    const placeholder = {
      ...(node.name ? { name: node.name } : {}),
      ...pick(node, ["needs", "if", "strategy"]),
      run: placeholderRun(id, reasons),
    };
    return { node: placeholder, complete: false, reasons, commentRoutes: [] };
  }

  if (runSteps.length > 0) findings.add("run-steps", at("steps"), `${runSteps.length} step(s) in one script`);
  if (Object.keys(env).length > 0) node.env = env;
  if (Object.keys(runner).length > 0) node.runner = runner;
  if (checkout) {
    const inputs = checkoutInputs(checkout);
    if (inputs.dropped.length > 0) findings.add("checkout-other", at("steps"), inputs.dropped.join(", "));
    if (inputs.keepsCredentials && /\bgit\s+push\b/.test(script))
      findings.add("checkout-credentials", at("steps"), "git push in the job's script");
    for (const [key, value] of Object.entries(inputs.with)) {
      const converted = rewriteValue(value, rewrite);
      if ("value" in converted) inputs.with[key] = converted.value;
    }
    if (typeof inputs.with.token === "string" && inputs.with.token.includes("secrets.GITHUB_TOKEN"))
      secret(scope, "GITHUB_TOKEN");
    const prelude = [
      ...inputs.prelude,
      ...(inputs.with.path !== undefined ? ['cd "$GANTRY_WORKSPACE"'] : []),
    ];
    node.uses = "gantry/checkout";
    node.with = { ...inputs.with, run: `${prelude.map((l) => `${l}\n`).join("")}${script}` };
  } else {
    node.run = script || "true\n";
  }
  return { node: order(node), complete: true, reasons: [], commentRoutes };
}

/**
 * `strategy:` as Gantry writes it: the matrix as it is (GitHub's include/exclude rules are Gantry's),
 * `fail-fast` and `max-parallel` renamed; expressions in it rewritten (they cannot read the matrix).
 */
function convertStrategy(
  strategy: Obj,
  rewrite: ReturnType<typeof nodeRewriter>,
): { value: Obj } | { unsupported: string } {
  const matrix = rewriteDeep(strategy.matrix, rewrite);
  if (!("value" in matrix)) return { unsupported: `matrix: ${matrix.unsupported}` };
  const value: Obj = { matrix: matrix.value };
  for (const [from, to] of [
    ["fail-fast", "fail_fast"],
    ["max-parallel", "max_parallel"],
  ] as const) {
    if (strategy[from] === undefined) continue;
    const converted = rewriteValue(strategy[from], rewrite);
    if (!("value" in converted)) return { unsupported: `${from}: ${converted.unsupported}` };
    value[to] = converted.value;
  }
  return { value };
}

/** Every string in a value rewritten (a matrix's axes may be expressions: fromJSON(needs.x.outputs.y)). */
function rewriteDeep(
  raw: unknown,
  rewrite: ReturnType<typeof nodeRewriter>,
): { value: unknown } | { unsupported: string } {
  if (Array.isArray(raw)) {
    const out: unknown[] = [];
    for (const item of raw) {
      const r = rewriteDeep(item, rewrite);
      if (!("value" in r)) return r;
      out.push(r.value);
    }
    return { value: out };
  }
  if (isRecord(raw)) {
    const out: Obj = {};
    for (const [key, item] of Object.entries(raw)) {
      const r = rewriteDeep(item, rewrite);
      if (!("value" in r)) return r;
      out[key] = r.value;
    }
    return { value: out };
  }
  const r = rewriteValue(raw, rewrite);
  return "value" in r ? { value: r.value } : { unsupported: r.unsupported };
}

function containerRunner(
  container: unknown,
  runner: Obj,
  where: { line: number; col: number },
  rewrite: ReturnType<typeof nodeRewriter>,
  findings: Findings<GithubFeature>,
  block: (feature: GithubFeature, detail: string, at?: { line: number; col: number }) => void,
): void {
  const spec: Obj = typeof container === "string" ? { image: container } : (container as Obj);
  const image = rewriteValue(spec.image, rewrite);
  if (!("value" in image) || typeof image.value !== "string" || image.value.includes("${{")) {
    block("container", `image ${String(spec.image)}`, where);
    return;
  }
  runner.type = "docker";
  runner.image = image.value;
  if (isRecord(spec.env)) runner.env = spec.env;
  if (isRecord(spec.credentials)) {
    const username = rewriteValue(spec.credentials.username, rewrite);
    const password = rewriteValue(spec.credentials.password, rewrite);
    if ("value" in username && "value" in password)
      runner.credentials = { username: username.value, password: password.value };
  }
  findings.add("container", where, image.value);
  const extra = ["options", "ports", "volumes"].filter((k) => spec[k] !== undefined);
  if (extra.length > 0)
    findings.add("container-options", where, extra.map((k) => `${k}: ${JSON.stringify(spec[k])}`).join(", "));
}

function reason(b: Blocker): string {
  switch (b.feature) {
    case "matrix":
      return `it has a matrix: ${b.detail}`;
    case "services":
      return `it has service containers ${b.detail}`;
    case "environment":
      return `it deploys to environment ${b.detail} (needs environments, #24)`;
    case "reusable-call":
      return `it calls the reusable workflow ${b.detail} (needs sub-workflows, #25)`;
    case "cache":
      return `it uses ${b.detail}`;
    case "artifacts":
      return `it uses ${b.detail}`;
    case "local-action":
      return `it uses the local action ${b.detail}: convert it too and use it from the job's steps`;
    case "third-party-action":
      return `it uses ${b.detail}, which has no Gantry action`;
    case "step-steps-context":
      return `it reads ${b.detail}`;
    case "step-shell-other":
      return `a step uses ${b.detail}`;
    case "github-env-steps":
      return "its steps pass values on through $GITHUB_ENV or $GITHUB_PATH, which a job of steps does not carry from one step to the next (pass them as outputs)";
    case "services-no-container":
      return `it has service containers but no container: ${b.detail}`;
    case "runs-on-other":
      return `it runs on ${b.detail}`;
    default:
      return b.detail;
  }
}

function matrixSummary(matrix: unknown): string {
  if (typeof matrix === "string") return matrix;
  if (!isRecord(matrix)) return "matrix";
  return Object.keys(matrix).join(", ");
}

function firstLine(text: string): string {
  const line = text.trim().split("\n")[0] ?? "";
  return line.length > 60 ? `${line.slice(0, 57)}...` : line;
}

function pick(value: Obj, keys: string[]): Obj {
  return Object.fromEntries(keys.filter((k) => value[k] !== undefined).map((k) => [k, value[k]]));
}

/** A node's keys in the order people read them. */
function order(node: Obj): Obj {
  const keys = [
    "name",
    "needs",
    "if",
    "strategy",
    "runner",
    "timeout",
    "continue_on_error",
    "env",
    "services",
    "uses",
    "with",
    "run",
    "steps",
    "outputs",
  ];
  const out: Obj = {};
  for (const key of keys) if (node[key] !== undefined) out[key] = node[key];
  for (const [key, value] of Object.entries(node)) if (!keys.includes(key)) out[key] = value;
  return out;
}
