// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the converter writes workflow expressions
import type { ResolvedOptions } from "../options.js";
import { OutputDocument, quoted } from "../output/document.js";
import { type Draft, finish } from "../output/finish.js";
import { type FileReport, Findings } from "../report/report.js";
import { cronProblem } from "../shared/cron.js";
import { identifier, slug, unique } from "../shared/names.js";
import { failingScript } from "../shared/shell.js";
import { isRecord, parseYamlMap, type YamlSource } from "../source/yaml-source.js";
import { type Config, expandJob } from "./expand.js";
import { CIRCLECI_FEATURES, type CircleFeature } from "./features.js";
import { branchCondition, type JobFilters } from "./filters.js";
import { convertCircleJob } from "./job.js";

type Obj = Record<string, unknown>;

/** Converts a CircleCI 2.1 config into one Gantry workflow per workflow it declares. */
export function convertCircleci(file: string, text: string, _options: ResolvedOptions): FileReport {
  const parsed = parseYamlMap(file, text, "a CircleCI config");
  if ("errors" in parsed) return finish("circleci", file, [], [], parsed.errors);
  const source = parsed.source;
  const root = source.value;
  const findings = new Findings(CIRCLECI_FEATURES);
  const config: Config = {
    orbs: isRecord(root.orbs) ? root.orbs : {},
    commands: isRecord(root.commands) ? root.commands : {},
    executors: isRecord(root.executors) ? root.executors : {},
    jobs: isRecord(root.jobs) ? root.jobs : {},
  };
  const at = (...path: Array<string | number>) => source.locate(path, { key: true });
  if (source.aliases) findings.add("yaml-anchors", undefined, "expanded");
  if (Object.keys(config.commands).length > 0)
    findings.add("commands", at("commands"), Object.keys(config.commands).join(", "));
  if (Object.keys(config.executors).length > 0)
    findings.add("executors", at("executors"), Object.keys(config.executors).join(", "));
  const workflows = isRecord(root.workflows)
    ? Object.entries(root.workflows).filter(([key, value]) => key !== "version" && isRecord(value))
    : [];
  if (workflows.length === 0) {
    return finish(
      "circleci",
      file,
      [],
      [],
      [`${file}:1:1: no workflows: in this CircleCI config (version 2.1 runs jobs only through workflows)`],
    );
  }
  const base =
    file
      .split(/[\\/]/)
      .pop()
      ?.replace(/\.ya?ml$/i, "") ?? "circleci";
  const prefix = slug(base === "config" ? "circleci" : base);
  const names = new Set<string>();
  const drafts: Draft[] = [];
  for (const [workflowName, workflow] of workflows) {
    const name = unique(slug(`${prefix}-${workflowName}`), names);
    findings.output = name;
    drafts.push(convertWorkflow(name, workflowName, workflow as Obj, source, config, findings));
  }
  findings.output = undefined;
  orbs(config, source, findings);
  return finish("circleci", file, drafts, findings.list);
}

function convertWorkflow(
  name: string,
  workflowName: string,
  workflow: Obj,
  source: YamlSource,
  config: Config,
  findings: Findings<CircleFeature>,
): Draft {
  const root = source.value as Obj;
  const base = ["workflows", workflowName];
  const at = (...path: Array<string | number>) => source.locate([...base, ...path], { key: true });
  const doc = new OutputDocument();
  const out = doc.value;
  out.name = name;
  out.description = `CircleCI workflow ${workflowName}`;
  findings.add("workflow", at(), `${workflowName} became workflow ${name}`);
  doc.route(base, ["steps"]);

  // Inputs: the pipeline parameters.
  const inputs: Obj = {};
  const inputIds = new Map<string, string>();
  if (isRecord(root.parameters)) {
    for (const [parameter, raw] of Object.entries(root.parameters)) {
      const spec = isRecord(raw) ? raw : {};
      const id = identifier(parameter);
      inputIds.set(parameter, id);
      const type =
        spec.type === "boolean"
          ? "boolean"
          : spec.type === "integer"
            ? "integer"
            : spec.type === "enum"
              ? "choice"
              : "string";
      inputs[id] = {
        type,
        ...(type === "choice" && Array.isArray(spec.enum) ? { enum: spec.enum.map(String) } : {}),
        ...(typeof spec.description === "string" ? { description: spec.description } : {}),
        ...(spec.default !== undefined
          ? { default: type === "string" ? String(spec.default) : spec.default }
          : {}),
      };
      doc.route(["parameters", parameter], ["inputs", id]);
    }
    findings.add(
      "pipeline-parameters",
      source.locate(["parameters"], { key: true }),
      Object.keys(root.parameters).join(", "),
    );
  }

  // The jobs, with their filters; the triggers follow from them.
  const entries = Array.isArray(workflow.jobs) ? workflow.jobs : [];
  const steps: Obj = {};
  const ids = new Set<string>();
  const nodeOf = new Map<string, string>();
  const filtersOf: JobFilters[] = [];
  const tagsInWorkflow = entries.some((entry) => {
    const args = isRecord(entry) ? Object.values(entry)[0] : undefined;
    return (
      isRecord(args) &&
      isRecord(args.filters) &&
      isRecord(args.filters.tags) &&
      args.filters.tags.only !== undefined
    );
  });
  const planned = entries.map((entry, index) => {
    const jobName = typeof entry === "string" ? entry : isRecord(entry) ? (Object.keys(entry)[0] ?? "") : "";
    const args = isRecord(entry) && isRecord(entry[jobName]) ? (entry[jobName] as Obj) : {};
    const display = typeof args.name === "string" ? args.name : jobName;
    const id = unique(identifier(display), ids, "_");
    nodeOf.set(display, id);
    return { jobName, args, id, index };
  });
  // The nodes whose jobs persist to the workspace: a job attaching it downloads their artifacts.
  const persists = new Set(
    planned
      .filter(({ jobName }) => JSON.stringify(config.jobs[jobName] ?? {}).includes("persist_to_workspace"))
      .map(({ id }) => id),
  );
  for (const { jobName, args, id, index } of planned) {
    const where = at("jobs", index);
    if (typeof args.name === "string") findings.add("job-name", where, args.name);
    const node: Obj = {};
    const requires = Array.isArray(args.requires) ? args.requires : [];
    const needs = requires
      .map((r) => (typeof r === "string" ? (nodeOf.get(r) ?? identifier(r)) : undefined))
      .filter((r): r is string => r !== undefined);
    if (requires.length > 0)
      findings.add(
        "job-requires",
        where,
        requires.map((r) => (typeof r === "string" ? r : JSON.stringify(r))).join(", "),
      );
    const reasons: string[] = [];
    if (needs.length !== requires.length)
      reasons.push("requires with job statuses (not only success) needs if: on the needed results");
    if (needs.length > 0) node.needs = needs;
    const filters = isRecord(args.filters) ? (args.filters as JobFilters) : {};
    filtersOf.push(filters);
    if (isRecord(args.filters)) {
      const condition = branchCondition(filters, tagsInWorkflow);
      if (condition.unsupported.length > 0)
        findings.add("job-filters-regex", where, condition.unsupported.join(", "));
      if (condition.expression) {
        node.if = `\${{ ${condition.expression} }}`;
        findings.add("job-filters", where, JSON.stringify(args.filters));
      }
    }
    if (args.context !== undefined) {
      const contexts = Array.isArray(args.context) ? args.context.map(String) : [String(args.context)];
      findings.add("context", where, contexts.join(", "));
      doc.note(
        ["steps", id],
        `NOT CONVERTED: context ${contexts.join(", ")}: add its variables to env, secrets as references under secrets:.`,
      );
    }
    if (args["serial-group"] !== undefined) findings.add("serial-group", where, String(args["serial-group"]));
    if (args["pre-steps"] !== undefined || args["post-steps"] !== undefined)
      findings.add("pre-post-steps", where, jobName);
    const definition = config.jobs[jobName];
    const type = isRecord(definition) ? definition.type : undefined;
    if (args.type === "approval" || type === "approval") {
      findings.add("approval", where, jobName);
      reasons.push("it is an approval (needs approvals, #24)");
    } else if (isRecord(args.matrix)) {
      findings.add(
        "matrix",
        where,
        Object.keys(isRecord(args.matrix.parameters) ? args.matrix.parameters : {}).join(", "),
      );
      reasons.push("it has a matrix of parameters");
    }
    if (type === "no-op") {
      findings.add("no-op", where, jobName);
      steps[id] = { ...node, run: "true\n" };
      continue;
    }
    if (reasons.length === 0 && !isRecord(definition)) {
      const alias = jobName.includes("/") ? jobName.split("/")[0] : undefined;
      if (alias && config.orbs[alias] !== undefined) {
        findings.add("orbs", where, `job ${jobName}`);
        reasons.push(`it is the orb job ${jobName}`);
      } else reasons.push(`no job named ${jobName} in jobs:`);
    }
    if (reasons.length === 0) {
      const expanded = expandJob(config, jobName, args);
      const persistingNeeds = needs.filter((need) => persists.has(need));
      const converted = convertCircleJob({
        jobName,
        expanded,
        source,
        inputIds,
        findings,
        node,
        id,
        persistingNeeds,
      });
      if (converted.complete) {
        steps[id] = converted.node;
        doc.consume(["jobs", jobName]);
        continue;
      }
      reasons.push(...converted.reasons);
    }
    steps[id] = { ...node, run: failing(id, reasons) };
    const lines = source.linesOf(["jobs", jobName]);
    doc.note(
      ["steps", id],
      `NOT CONVERTED: ${reasons.join("; ")}.${lines ? `\nThe job as it was:\n${quoted(lines)}` : ""}`,
    );
  }

  // Triggers: a schedule alone, or every push (to the tags a job's filter asks for too).
  const on: Obj = {};
  const triggers = Array.isArray(workflow.triggers) ? workflow.triggers : [];
  const schedule: Obj[] = [];
  triggers.forEach((trigger, i) => {
    if (!isRecord(trigger) || !isRecord(trigger.schedule)) return;
    const cron = String(trigger.schedule.cron ?? "").trim();
    const problem = cronProblem(cron);
    if (problem) {
      findings.add("workflow-when", at("triggers", i), `cron ${problem}`);
      return;
    }
    schedule.push({ cron });
    findings.add(
      "scheduled-trigger",
      at("triggers", i),
      `'${cron}'${isRecord(trigger.schedule.filters) ? ` for ${JSON.stringify(trigger.schedule.filters)}` : ""}`,
    );
    doc.route([...base, "triggers", i], ["on", "schedule", schedule.length - 1]);
  });
  if (schedule.length > 0) on.schedule = schedule;
  else {
    const tags = filtersOf.flatMap((f) => (isRecord(f.tags) ? tagPatterns(f.tags.only) : []));
    on.push = { branches: ["**"], ...(tags.length > 0 ? { tags } : {}) };
    findings.add(
      "push-trigger",
      at(),
      tags.length > 0 ? `every branch, and tags ${tags.join(", ")}` : "every branch",
    );
  }
  on.manual = {};
  if (workflow.when !== undefined || workflow.unless !== undefined) {
    findings.add(
      "workflow-when",
      at(workflow.when !== undefined ? "when" : "unless"),
      JSON.stringify(workflow.when ?? workflow.unless),
    );
    doc.note(
      ["on"],
      `NOT CONVERTED: the workflow's ${workflow.when !== undefined ? "when" : "unless"} condition ${JSON.stringify(workflow.when ?? workflow.unless)}.`,
    );
  }
  out.on = on;
  if (Object.keys(inputs).length > 0) out.inputs = inputs;
  out.steps =
    Object.keys(steps).length > 0
      ? steps
      : { empty: { run: failingScript("gantry import: the CircleCI workflow has no jobs") } };
  return {
    kind: "workflow",
    name,
    path: `${name}.yaml`,
    doc,
    origin: `CircleCI workflow ${workflowName}`,
    comments: source.comments,
    ...(source.header ? { sourceHeader: source.header } : {}),
  };
}

/** Tag patterns of a filter as GitHub-style patterns: names as they are, /regex/ only as `**`. */
function tagPatterns(only: unknown): string[] {
  const list = Array.isArray(only) ? only : only === undefined ? [] : [only];
  return list.map((p) => String(p)).map((p) => (p.startsWith("/") ? "**" : p));
}

function failing(id: string, reasons: string[]): string {
  return failingScript(
    `gantry import: job ${id} was not converted: ${reasons.join("; ")}. See the comment above this step.`,
  );
}

/** Orbs: listed with what of them the config used, which a person has to write instead. */
function orbs(config: Config, source: YamlSource, findings: Findings<CircleFeature>): void {
  const root = source.value as Obj;
  const text = JSON.stringify(root);
  for (const [alias, orb] of Object.entries(config.orbs)) {
    const used = [...new Set(text.match(new RegExp(`"${alias}/[A-Za-z0-9_-]+`, "g")) ?? [])].map((u) =>
      u.slice(1),
    );
    findings.add(
      "orbs",
      source.locate(["orbs", alias], { key: true }),
      `${alias}: ${typeof orb === "string" ? orb : "an inline orb"}${used.length > 0 ? `; used here: ${used.join(", ")}` : "; nothing of it is used here"}`,
    );
  }
}
