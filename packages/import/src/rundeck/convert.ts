// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the converter writes workflow expressions
import type { ResolvedOptions } from "../options.js";
import { OutputDocument } from "../output/document.js";
import { type Draft, finish } from "../output/finish.js";
import { type FileReport, Findings } from "../report/report.js";
import { cronProblem } from "../shared/cron.js";
import { durationText, parseDurationText } from "../shared/duration.js";
import { identifier, slug, unique } from "../shared/names.js";
import { isRecord } from "../source/yaml-source.js";
import { RUNDECK_FEATURES, type RundeckFeature } from "./features.js";
import { nodeRunner, nodeSelector, nodeVariableSource } from "./nodes.js";
import { convertOptions } from "./options.js";
import { quartzToCron } from "./quartz.js";
import { type RundeckJobSource, readRundeck } from "./read.js";
import { convertCommand } from "./steps.js";
import { emptyReferences, NODE_ATTRIBUTES, type References, rundeckEnv } from "./variables.js";

type Obj = Record<string, unknown>;

/** The RD_JOB_* variables a workflow can set, from the job's definition or the run. */
const JOB_VARIABLES: Record<string, (job: Obj) => unknown> = {
  name: (job) => job.name ?? "",
  group: (job) => job.group ?? "",
  id: (job) => job.uuid ?? job.id ?? "",
  execid: () => "${{ run.id }}",
  loglevel: (job) => job.loglevel ?? "INFO",
};

/** Converts a Rundeck job export (XML or YAML, one or more jobs) into one workflow per job. */
export function convertRundeck(file: string, text: string, _options: ResolvedOptions): FileReport {
  const read = readRundeck(text, file);
  if (read.problems.length > 0) {
    return finish(
      "rundeck",
      file,
      [],
      [],
      read.problems.map((p) => `${file}:${p.line}:${p.col}: ${p.message}`),
    );
  }
  const findings = new Findings(RUNDECK_FEATURES);
  const names = new Set<string>();
  const drafts = read.jobs.map((job) => convertJob(job, findings, names));
  if (read.jobs.length > 1) {
    findings.output = undefined;
    findings.add("several-jobs", undefined, `${read.jobs.length} jobs became ${read.jobs.length} workflows`);
  }
  return finish("rundeck", file, drafts, findings.list);
}

function convertJob(source: RundeckJobSource, findings: Findings<RundeckFeature>, names: Set<string>): Draft {
  const job = source.job;
  const at = (...path: Array<string | number>) => source.locate(path);
  const jobName = typeof job.name === "string" ? job.name : "job";
  const group = typeof job.group === "string" && job.group !== "" ? job.group : undefined;
  const name = unique(slug(jobName), names);
  findings.output = name;
  findings.add("job", at(), `${group ? `${group}/` : ""}${jobName} became workflow ${name}`);
  findings.add("name-group", at("name"), `${group ? `group ${group}, ` : ""}name ${jobName}`);

  const doc = new OutputDocument();
  const out = doc.value;
  out.name = name;
  const description = typeof job.description === "string" ? job.description.trim() : "";
  out.description = `${description ? `${description}\n\n` : ""}Rundeck job ${group ? `${group}/` : ""}${jobName}`;
  doc.route(["description"], ["description"]);
  doc.route(["name"], ["name"]);
  const on: Obj = { manual: {} };
  out.on = on;
  schedule(source, on, doc, findings);

  const options = convertOptions(source, Array.isArray(job.options) ? job.options : [], doc, findings);
  if (Object.keys(options.inputs).length > 0) out.inputs = options.inputs;
  if (Object.keys(options.secrets).length > 0) out.secrets = options.secrets;

  // Steps first (they tell which variables the environment needs), then env and the rest.
  const refs = emptyReferences();
  const { steps, runner } = convertSequence(source, refs, doc, findings);
  const env: Obj = { ...options.env };
  for (const variable of refs.job) {
    const value = JOB_VARIABLES[variable];
    if (value) env[rundeckEnv("JOB", variable)] = value(job);
  }
  const unknownJob = [...refs.job].filter((v) => !JOB_VARIABLES[v]);
  if (refs.job.size > unknownJob.length)
    findings.add(
      "job-variables",
      at("sequence"),
      [...refs.job]
        .filter((v) => JOB_VARIABLES[v])
        .map((v) => rundeckEnv("JOB", v))
        .join(", "),
    );
  if (unknownJob.length > 0) {
    findings.add(
      "job-variables-unknown",
      at("sequence"),
      unknownJob.map((v) => rundeckEnv("JOB", v)).join(", "),
    );
    doc.note(
      ["steps"],
      `NOT CONVERTED: ${unknownJob.map((v) => rundeckEnv("JOB", v)).join(", ")} (Rundeck's) have no value in Gantry: set them in env.`,
    );
  }
  if (refs.other.size > 0) {
    findings.add("other-variables", at("sequence"), [...refs.other].join(", "));
    doc.note(["steps"], `NOT CONVERTED: ${[...refs.other].join(", ")} are left as written.`);
  }
  if (refs.options.size > 0)
    findings.add(
      "option-references",
      at("sequence"),
      [...refs.options].map((o) => rundeckEnv("OPTION", o)).join(", "),
    );
  if (Object.keys(env).length > 0) out.env = env;

  if (job.multipleExecutions !== true) {
    out.concurrency = { group: `rundeck-${name}`, policy: "skip" };
    findings.add(
      "multiple-executions",
      at(job.multipleExecutions === undefined ? "name" : "multipleExecutions"),
      "a run while one is running is skipped, as Rundeck refuses it",
    );
  } else {
    findings.add("multiple-executions", at("multipleExecutions"), "true: runs may overlap");
  }
  if (job.maxMultipleExecutions !== undefined)
    findings.add("max-executions", at("maxMultipleExecutions"), String(job.maxMultipleExecutions));

  const stepCount = Object.keys(steps).length;
  const defaults: Obj = {};
  if (typeof job.timeout === "string" || typeof job.timeout === "number") {
    const seconds = parseDurationText(String(job.timeout));
    if (seconds !== undefined && seconds > 0) {
      defaults.timeout = durationText(seconds);
      findings.add(stepCount > 1 ? "timeout-steps" : "timeout", at("timeout"), String(job.timeout));
    }
  }
  const retry = retryOf(job.retry);
  if (!retry && job.retry !== undefined)
    findings.add("retry", at("retry"), `${JSON.stringify(job.retry)}: no retry`);
  if (retry) {
    defaults.retry = retry;
    findings.add(
      stepCount > 1 ? "retry-steps" : "retry",
      at("retry"),
      `${retry.attempts as number} attempts${retry.delay ? `, ${String(retry.delay)} apart` : ""}`,
    );
  }
  if (runner) defaults.runner = editableNodes(source, runner, out, findings);
  if (Object.keys(defaults).length > 0) out.defaults = defaults;
  out.steps = steps;

  if (typeof job.loglevel === "string") findings.add("loglevel", at("loglevel"), job.loglevel);
  const logLimit = ["loglimit", "loglimitAction", "loglimitStatus"].filter((k) => job[k] !== undefined);
  if (logLimit.length > 0)
    findings.add(
      "log-limit",
      at(logLimit[0] as string),
      logLimit.map((k) => `${k}: ${String(job[k])}`).join(", "),
    );
  if (job.executionEnabled === false) {
    findings.add("execution-disabled", at("executionEnabled"));
    doc.note([], "NOT CONVERTED: the job's executions were disabled in Rundeck.");
  }
  if (isRecord(job.plugins) && Object.keys(job.plugins).length > 0)
    findings.add("execution-plugins", at("plugins"), Object.keys(job.plugins).join(", "));
  const ui = ["defaultTab", "nodesSelectedByDefault", "notifyAvgDurationThreshold"].filter(
    (k) => job[k] !== undefined,
  );
  if (ui.length > 0) findings.add("ui-settings", at(ui[0] as string), ui.join(", "));
  notifications(source, doc, findings);

  return {
    kind: "workflow",
    name,
    path: `${name}.yaml`,
    doc,
    origin: `Rundeck job ${group ? `${group}/` : ""}${jobName}`,
    comments: source.comments,
    ...(source.header ? { sourceHeader: source.header } : {}),
  };
}

function schedule(
  source: RundeckJobSource,
  on: Obj,
  doc: OutputDocument,
  findings: Findings<RundeckFeature>,
): void {
  const job = source.job;
  if (!isRecord(job.schedule)) return;
  const at = source.locate(["schedule"]);
  const quartz =
    typeof job.schedule.crontab === "string" ? job.schedule.crontab : structuredQuartz(job.schedule);
  const converted = quartzToCron(quartz);
  const zone = typeof job.timeZone === "string" && job.timeZone !== "" ? job.timeZone : undefined;
  const problem = "problem" in converted ? converted.problem : cronProblem(converted.cron, zone ?? "UTC");
  if (problem || "problem" in converted) {
    findings.add("schedule-unreadable", at, `${quartz}: ${problem}`);
    doc.note(
      ["on"],
      `NOT CONVERTED: the Rundeck schedule '${quartz}' (${problem}): add on.schedule by hand.`,
    );
    return;
  }
  const entry: Obj = { cron: converted.cron };
  findings.add(
    "schedule",
    at,
    `Quartz '${quartz}' -> '${converted.cron}'${converted.changes.length > 0 ? ` (${converted.changes.join("; ")})` : ""}`,
  );
  if (converted.year) {
    findings.add("schedule-year", at, `year ${converted.year}`);
    doc.note(["on", "schedule"], `The Rundeck schedule fired only in year ${converted.year}.`);
  }
  if (zone) {
    entry.timezone = zone;
    findings.add("time-zone", source.locate(["timeZone"]), zone);
  } else findings.add("no-time-zone", at);
  if (job.scheduleEnabled === false) {
    entry.suspend = true;
    findings.add("schedule-enabled", source.locate(["scheduleEnabled"]), "false -> suspend: true");
  }
  on.schedule = [entry];
  doc.route(["schedule"], ["on", "schedule"]);
}

/** Rundeck's structured schedule as the Quartz expression Rundeck builds from it. */
function structuredQuartz(schedule: Obj): string {
  const time = isRecord(schedule.time) ? schedule.time : {};
  const field = (value: unknown, fallback: string) =>
    value === undefined || value === "" ? fallback : String(value);
  const weekday = isRecord(schedule.weekday) ? field(schedule.weekday.day, "*") : undefined;
  const dayOfMonth = isRecord(schedule.dayofmonth) ? field(schedule.dayofmonth.day, "*") : undefined;
  // Quartz wants exactly one of the two day fields to be '?'.
  const [dom, dow] =
    dayOfMonth !== undefined && dayOfMonth !== "*" ? [dayOfMonth, "?"] : ["?", weekday ?? "*"];
  return [
    field(time.seconds, "0"),
    field(time.minute, "0"),
    field(time.hour, "0"),
    dom,
    field(schedule.month, "*"),
    dow,
    field(schedule.year, "*"),
  ].join(" ");
}

/** The job's commands as steps, chained as its strategy says, with error handlers and keepgoing. */
function convertSequence(
  source: RundeckJobSource,
  refs: References,
  doc: OutputDocument,
  findings: Findings<RundeckFeature>,
): { steps: Obj; runner?: Obj } {
  const job = source.job;
  const sequence = isRecord(job.sequence) ? job.sequence : {};
  const commands = Array.isArray(sequence.commands) ? sequence.commands.filter(isRecord) : [];
  const strategy = typeof sequence.strategy === "string" ? sequence.strategy : "node-first";
  const parallel = strategy === "parallel";
  const keepgoing = sequence.keepgoing === true;
  const steps: Obj = {};
  const ids = new Set<string>();
  if (parallel)
    findings.add("strategy-parallel", source.locate(["sequence"]), `${commands.length} steps at once`);
  else if (["node-first", "step-first", "sequential"].includes(strategy))
    findings.add("sequence", source.locate(["sequence"]), `${commands.length} steps, ${strategy}`);
  else findings.add("strategy-other", source.locate(["sequence"]), strategy);
  if (keepgoing) findings.add("keepgoing", source.locate(["sequence"]));

  const runner = nodeSteps(source, strategy, commands.length, doc, findings);
  let previous: { id: string; handler?: string } | undefined;
  commands.forEach((command, index) => {
    const path = ["sequence", "commands", index];
    const at = source.locate(path);
    const converted = convertCommand(command, refs, at, findings);
    findings.add(converted.feature, at, converted.detail);
    if (
      converted.feature === "step-exec" ||
      converted.feature === "step-script" ||
      converted.feature === "step-interpreter"
    ) {
      findings.add("working-directory", source.locate(["sequence"]));
    }
    const id = unique(stepId(command, index), ids, "_");
    const step: Obj = { ...converted.step };
    if (converted.placeholder) doc.note(["steps", id], `NOT CONVERTED: ${converted.placeholder}.`);
    const needs = parallel || !previous ? [] : [previous.id, ...(previous.handler ? [previous.handler] : [])];
    if (needs.length > 0) step.needs = needs;
    if (!parallel && previous) {
      if (keepgoing) step.if = "${{ !cancelled() }}";
      else if (previous.handler) step.if = "${{ !cancelled() && !failure() }}";
    }
    const handler = isRecord(command.errorhandler) ? command.errorhandler : undefined;
    steps[id] = orderKeys(step);
    doc.route(path, ["steps", id]);
    let handlerId: string | undefined;
    if (handler) {
      handlerId = unique(`${id}_on_error`, ids, "_");
      const handlerAt = source.locate([...path, "errorhandler"]);
      const recover = handler.keepgoingOnSuccess === true;
      const convertedHandler = convertCommand(handler, refs, handlerAt, findings);
      findings.add(convertedHandler.feature, handlerAt, convertedHandler.detail);
      findings.add(
        "error-handler",
        handlerAt,
        `${recover ? "keepgoingOnSuccess: the job goes on when it succeeds" : "the step still fails the job"}`,
      );
      // With keepgoingOnSuccess the step's failure reads as success, and the handler decides the outcome.
      if (recover) (steps[id] as Obj).continue_on_error = true;
      steps[handlerId] = orderKeys({
        name: `${typeof convertedHandler.step.name === "string" ? convertedHandler.step.name : "error handler"} (when ${id} fails)`,
        needs: [id],
        if: `\${{ !cancelled() && steps.${id}.outcome == 'failure' }}`,
        ...Object.fromEntries(Object.entries(convertedHandler.step).filter(([k]) => k !== "name")),
      });
      if (convertedHandler.placeholder)
        doc.note(["steps", handlerId], `NOT CONVERTED: ${convertedHandler.placeholder}.`);
      doc.route([...path, "errorhandler"], ["steps", handlerId]);
    }
    previous = {
      id,
      ...(handlerId && !parallel && handler?.keepgoingOnSuccess === true ? { handler: handlerId } : {}),
    };
  });
  if (commands.length === 0) {
    steps.empty = { run: "echo 'The Rundeck job had no steps.'\n" };
  }
  nodeVariables(source, refs, steps, runner !== undefined, findings);
  return { steps, ...(runner ? { runner } : {}) };
}

/** A step id from the step's description, else its place. */
function stepId(command: Obj, index: number): string {
  const description = typeof command.description === "string" ? command.description.trim() : "";
  const words = description ? slug(description).replace(/-/g, "_").slice(0, 40).replace(/_+$/, "") : "";
  return words ? identifier(words) : `step_${index + 1}`;
}

/** `name` first, then needs and if, then the rest: how a person reads a step. */
function orderKeys(step: Obj): Obj {
  const order = ["name", "needs", "if", "continue_on_error"];
  const out: Obj = {};
  for (const key of order) if (step[key] !== undefined) out[key] = step[key];
  for (const [key, value] of Object.entries(step)) if (!order.includes(key)) out[key] = value;
  return out;
}

/**
 * A job that ran on the nodes its filter selected: its steps run there over SSH (the runner every step of
 * the workflow gets), one node after another unless the dispatch said otherwise.
 */
function nodeSteps(
  source: RundeckJobSource,
  strategy: string,
  commands: number,
  doc: OutputDocument,
  findings: Findings<RundeckFeature>,
): Obj | undefined {
  const job = source.job;
  const filters = isRecord(job.nodefilters) ? job.nodefilters : undefined;
  const filter = typeof filters?.filter === "string" ? filters.filter.trim() : "";
  const dispatch = isRecord(filters?.dispatch) ? filters.dispatch : {};
  if (!filter) {
    if (Object.keys(dispatch).length > 0)
      findings.add("dispatch-other", source.locate(["nodefilters", "dispatch"]), "without a node filter");
    return undefined;
  }
  const exclude = typeof filters?.excludeFilter === "string" ? filters.excludeFilter : undefined;
  const selector = nodeSelector(filter, exclude);
  findings.add(
    "node-filter",
    source.locate(["nodefilters"]),
    `'${filter}'${exclude ? ` excluding '${exclude}'` : ""} -> nodes: '${selector}'`,
  );
  const runner = nodeRunner(selector, dispatch);
  const dispatched = ["threadcount", "keepgoing"].filter((k) => dispatch[k] !== undefined);
  if (dispatched.length > 0)
    findings.add(
      "dispatch",
      source.locate(["nodefilters", "dispatch"]),
      dispatched.map((k) => `${k}: ${String(dispatch[k])}`).join(", "),
    );
  const other = Object.keys(dispatch).filter(
    (k) => !["threadcount", "keepgoing", "excludePrecedence"].includes(k),
  );
  if (other.length > 0 || job.orchestrator !== undefined)
    findings.add(
      "dispatch-other",
      source.locate(["nodefilters", "dispatch"]),
      [...other, ...(job.orchestrator !== undefined ? ["orchestrator"] : [])].join(", "),
    );
  if (commands > 1 && strategy === "node-first") {
    findings.add("node-first", source.locate(["sequence"]), `${commands} steps`);
    doc.note(
      ["defaults", "runner"],
      "Rundeck ran every step on one node before the next node (node-first); here each step runs on every node before the next step starts.",
    );
  }
  doc.route(["nodefilters"], ["defaults", "runner"]);
  return runner;
}

/**
 * A node filter people could change per run (nodeFilterEditable) becomes an input of type nodes, its
 * default the job's filter, that the runner reads.
 */
function editableNodes(
  source: RundeckJobSource,
  runner: Obj,
  out: Obj,
  findings: Findings<RundeckFeature>,
): Obj {
  if (runner.type !== "ssh" || source.job.nodeFilterEditable !== true) return runner;
  const inputs = isRecord(out.inputs) ? out.inputs : {};
  const name = unique("nodes", new Set(Object.keys(inputs)), "_");
  out.inputs = {
    ...inputs,
    [name]: { type: "nodes", default: runner.nodes, description: "The nodes to run on (a node selector)" },
  };
  findings.add("node-filter-editable", source.locate(["nodeFilterEditable"]), `input ${name}`);
  return { ...runner, nodes: `\${{ inputs.${name} }}` };
}

/**
 * RD_NODE_* for the steps that read them: on nodes, from what the SSH runner says of the node; for a job
 * that ran on the Rundeck server, the worker's own name and user.
 */
function nodeVariables(
  source: RundeckJobSource,
  refs: References,
  steps: Obj,
  onNodes: boolean,
  findings: Findings<RundeckFeature>,
): void {
  if (refs.node.size === 0) return;
  const value = (n: string) =>
    onNodes ? `"\${${nodeVariableSource(rundeckEnv("NODE", n))}:-}"` : NODE_ATTRIBUTES[n];
  const known = [...refs.node].filter((n) => value(n) !== undefined);
  const unknown = [...refs.node].filter((n) => value(n) === undefined);
  if (known.length > 0) {
    const exports = `export ${known.map((n) => `${rundeckEnv("NODE", n)}=${value(n)}`).join(" ")}\n`;
    for (const step of Object.values(steps) as Obj[]) {
      if (typeof step.run !== "string" || !step.run.includes("RD_NODE_")) continue;
      const run = step.run;
      const shebang = /^#![^\n]*\n/.exec(run)?.[0] ?? "";
      step.run = shebang + exports + run.slice(shebang.length);
    }
    findings.add(
      onNodes ? "node-variables-on-nodes" : "node-variables",
      source.locate(["sequence"]),
      known.map((n) => rundeckEnv("NODE", n)).join(", "),
    );
  }
  if (unknown.length > 0)
    findings.add(
      "other-variables",
      source.locate(["sequence"]),
      unknown.map((n) => rundeckEnv("NODE", n)).join(", "),
    );
}

function notifications(
  source: RundeckJobSource,
  doc: OutputDocument,
  findings: Findings<RundeckFeature>,
): void {
  const notification = source.job.notification;
  if (!isRecord(notification)) return;
  const lines: string[] = [];
  for (const [trigger, entry] of Object.entries(notification)) {
    if (!isRecord(entry)) continue;
    const what: string[] = [];
    if (isRecord(entry.email)) what.push(`email to ${String(entry.email.recipients ?? "?")}`);
    if (entry.urls !== undefined) what.push(`webhook ${String(entry.urls)}`);
    const plugins = Array.isArray(entry.plugin)
      ? entry.plugin
      : entry.plugin !== undefined
        ? [entry.plugin]
        : [];
    for (const plugin of plugins) {
      // Plugin settings often hold tokens: only their names are written out.
      if (isRecord(plugin))
        what.push(
          `plugin ${String(plugin.type)}${isRecord(plugin.configuration) ? ` (settings: ${Object.keys(plugin.configuration).join(", ")})` : ""}`,
        );
    }
    if (what.length === 0) continue;
    const line = `${trigger}: ${what.join("; ")}`;
    lines.push(line);
    findings.add("notification", source.locate(["notification", trigger]), line);
  }
  if (lines.length > 0)
    doc.note(["steps"], `NOT CONVERTED YET (needs notifications, #24): ${lines.join(". ")}.`);
  doc.consume(["notification"]);
}

function retryOf(value: unknown): Obj | undefined {
  const count = isRecord(value) ? value.retry : value;
  const attempts = Number(count);
  if (!Number.isInteger(attempts) || attempts <= 0) return undefined;
  const delayText = isRecord(value) && value.delay !== undefined ? String(value.delay) : undefined;
  const seconds = delayText !== undefined ? parseDurationText(delayText) : undefined;
  return { attempts: attempts + 1, ...(seconds ? { delay: durationText(seconds) } : {}) };
}
