import { findExpressions } from "@gantry/core";
import type { ResolvedOptions } from "../options.js";
import { OutputDocument, quoted } from "../output/document.js";
import { type Draft, finish } from "../output/finish.js";
import { type FileReport, Findings } from "../report/report.js";
import { slug } from "../shared/names.js";
import { failingScript } from "../shared/shell.js";
import { isRecord, parseYamlMap, type YamlSource } from "../source/yaml-source.js";
import { convertAction } from "./action.js";
import { parseGithubExpression, referencePath } from "./expressions.js";
import { GITHUB_ACTIONS_FEATURES, type GithubFeature } from "./features.js";
import { convertJob } from "./job.js";
import { nodeRewriter, type WorkflowScope, writeSecrets } from "./references.js";
import { convertTriggers } from "./triggers.js";
import { rewriteMap, rewriteValue } from "./values.js";

type Obj = Record<string, unknown>;

/** Converts a GitHub Actions workflow file, or an action's action.yml, into a Gantry workflow or action. */
export function convertGithubActions(file: string, text: string, options: ResolvedOptions): FileReport {
  const parsed = parseYamlMap(file, text, "a GitHub Actions workflow or action");
  if ("errors" in parsed) return finish("github-actions", file, [], [], parsed.errors);
  const source = parsed.source;
  const findings = new Findings(GITHUB_ACTIONS_FEATURES);
  if (source.aliases) findings.add("yaml-anchors", undefined, "expanded");
  if (isRecord(source.value.runs)) {
    return finish("github-actions", file, [convertAction(file, source, options, findings)], findings.list);
  }
  if (!isRecord(source.value.jobs)) {
    return finish(
      "github-actions",
      file,
      [],
      [],
      [`${file}:1:1: not a GitHub Actions workflow: no jobs: and no runs:`],
    );
  }
  return finish("github-actions", file, [convertWorkflow(file, source, findings)], findings.list);
}

function convertWorkflow(file: string, source: YamlSource, findings: Findings<GithubFeature>): Draft {
  const workflow = source.value as Obj;
  const at = (...path: Array<string | number>) => source.locate(path, { key: true });
  const base = file.split(/[\\/]/).pop() ?? file;
  const name = slug(base.replace(/\.ya?ml$/i, ""));
  const doc = new OutputDocument();
  const out = doc.value;
  out.name = name;
  out.description = typeof workflow.name === "string" ? workflow.name : `GitHub Actions workflow ${base}`;
  findings.add("workflow", undefined, `${base} became workflow ${name}`);
  doc.route(["name"], ["description"]);

  const triggers = convertTriggers(source, doc, findings);
  if (Object.keys(triggers.on).length > 0) out.on = triggers.on;
  if (Object.keys(triggers.inputs).length > 0) out.inputs = triggers.inputs;
  if (workflow.permissions !== undefined)
    findings.add("permissions", at("permissions"), JSON.stringify(workflow.permissions));
  if (workflow["run-name"] !== undefined)
    findings.add("run-name", at("run-name"), String(workflow["run-name"]));

  const jobs = workflow.jobs as Obj;
  const scope: WorkflowScope = {
    inputs: triggers.inputIds,
    jobs: new Map(Object.keys(jobs).map((id) => [id, id])),
    outputs: new Map(),
    secrets: new Map(),
    env: new Set(isRecord(workflow.env) ? Object.keys(workflow.env) : []),
  };
  for (const [id, job] of Object.entries(jobs))
    scope.outputs.set(id, outputNames(isRecord(job) ? job.outputs : undefined));

  // Secrets are found while the rest is rewritten; `secrets:` goes before env in the file.
  const secretsAt = Object.keys(out).length;
  const { values: env, dropped } = rewriteMap(workflow.env, nodeRewriter(scope, {}));
  for (const { key, reason } of dropped) {
    findings.add("context-unsupported", at("env", key), `${key}: ${reason}`);
    doc.note(["env"], `NOT CONVERTED: ${key}: ${String((workflow.env as Obj)[key])} (${reason}).`);
  }
  if (Object.keys(env).length > 0) {
    out.env = env;
    findings.add("env", at("env"), Object.keys(env).join(", "));
    doc.route(["env"], ["env"]);
  }
  concurrency(workflow.concurrency, scope, out, source, doc, findings);

  const steps: Obj = {};
  const defaults =
    isRecord(workflow.defaults) && isRecord(workflow.defaults.run) ? workflow.defaults.run : {};
  for (const [id, job] of Object.entries(jobs)) {
    if (!isRecord(job)) continue;
    const converted = convertJob({ id, job, source, scope, findings, defaults });
    const nodeId = scope.jobs.get(id) ?? id;
    steps[nodeId] = converted.node;
    if (converted.complete) {
      doc.route(["jobs", id], ["steps", nodeId]);
      // The run steps' comments are in the script; the checkout's and setup's go beside what they became.
      doc.consume(["jobs", id, "steps"]);
      for (const route of converted.commentRoutes) doc.route(route.from, route.to);
    } else {
      doc.consume(["jobs", id]);
      const lines = source.linesOf(["jobs", id]);
      doc.note(
        ["steps", nodeId],
        `NOT CONVERTED: ${converted.reasons.join("; ")}.\nThe job as it was:\n${quoted(lines ?? "")}`,
      );
    }
  }
  out.steps =
    Object.keys(steps).length > 0
      ? steps
      : { empty: { run: failingScript("gantry import: the workflow has no jobs") } };
  const entries = Object.entries(out);
  writeSecrets(scope, out, doc);
  if (out.secrets !== undefined) {
    // Put secrets: right after the inputs, where a reader looks for what the workflow needs.
    const reordered: Obj = {};
    entries.slice(0, secretsAt).forEach(([k, v]) => {
      reordered[k] = v;
    });
    reordered.secrets = out.secrets;
    entries.slice(secretsAt).forEach(([k, v]) => {
      reordered[k] = v;
    });
    for (const key of Object.keys(out)) delete out[key];
    Object.assign(out, reordered);
  }
  for (const name of scope.secrets.keys()) {
    findings.add(name === "GITHUB_TOKEN" ? "github-token" : "secrets", undefined, `secrets.${name}`);
  }
  return {
    kind: "workflow",
    name,
    path: `${name}.yaml`,
    doc,
    origin: `GitHub Actions workflow${typeof workflow.name === "string" ? ` "${workflow.name}"` : ""}`,
    comments: source.comments,
    ...(source.header ? { sourceHeader: source.header } : {}),
  };
}

/** A job's outputs that are exactly one step output: job output name -> that output's name. */
function outputNames(outputs: unknown): Map<string, string> {
  const names = new Map<string, string>();
  if (!isRecord(outputs)) return names;
  for (const [name, value] of Object.entries(outputs)) {
    if (typeof value !== "string") continue;
    const found = findExpressions(value.trim());
    const only = found[0];
    if (found.length !== 1 || !only || only.start !== 0 || only.end !== value.trim().length) continue;
    try {
      const ref = referencePath(parseGithubExpression(only.expr.trim()));
      if (
        ref &&
        ref.rest.length === 0 &&
        ref.path[0] === "steps" &&
        ref.path[2] === "outputs" &&
        ref.path.length === 4
      ) {
        names.set(name, ref.path[3] as string);
      }
    } catch {
      // Not a plain reference: the job output stays unmapped and readers of it are reported.
    }
  }
  return names;
}

function concurrency(
  value: unknown,
  scope: WorkflowScope,
  out: Obj,
  source: YamlSource,
  doc: OutputDocument,
  findings: Findings<GithubFeature>,
): void {
  if (value === undefined) return;
  const at = source.locate(["concurrency"], { key: true });
  const group = typeof value === "string" ? value : isRecord(value) ? value.group : undefined;
  const cancel = isRecord(value) ? value["cancel-in-progress"] : false;
  if (typeof group !== "string") return;
  const rewritten = rewriteValue(group, nodeRewriter(scope, {}));
  if ("unsupported" in rewritten) {
    findings.add("concurrency-job", at, `group ${group}: ${rewritten.unsupported}`);
    return;
  }
  if (cancel === true || cancel === "true") {
    out.concurrency = { group: rewritten.value, policy: "cancel-running" };
    findings.add("concurrency", at, String(rewritten.value));
  } else if (cancel === false || cancel === "false" || cancel === undefined) {
    out.concurrency = { group: rewritten.value, policy: "queue" };
    findings.add("concurrency-queue", at, String(rewritten.value));
  } else {
    out.concurrency = { group: rewritten.value, policy: "queue" };
    findings.add("concurrency-job", at, `cancel-in-progress: ${String(cancel)}`);
    doc.note(
      ["concurrency", "policy"],
      `NOT CONVERTED: cancel-in-progress was ${String(cancel)}: choose queue or cancel-running.`,
    );
  }
  doc.route(["concurrency"], ["concurrency"]);
}
