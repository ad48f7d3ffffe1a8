// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the converter writes workflow expressions
import type { ResolvedOptions } from "../options.js";
import { OutputDocument } from "../output/document.js";
import { type Draft, finish } from "../output/finish.js";
import { type FileReport, Findings } from "../report/report.js";
import { cronProblem } from "../shared/cron.js";
import { durationText } from "../shared/duration.js";
import { identifier, slug, unique } from "../shared/names.js";
import { envName, failingScript } from "../shared/shell.js";
import {
  isRecord,
  parseYamlSources,
  type SourcePath,
  startsWith,
  type YamlSource,
} from "../source/yaml-source.js";
import { CRONJOB_FEATURES, type CronJobFeature } from "./features.js";
import { podSettings, userAndRest } from "./pod.js";

type Obj = Record<string, unknown>;

/** Kubernetes' Job default: six retries, backing off from 10 s, doubling, at most 6 minutes apart. */
const DEFAULT_BACKOFF_LIMIT = 6;

/**
 * Converts the CronJobs of a Kubernetes manifest (one or more `---` documents, or a `kind: List`) into one
 * workflow each: the schedule with its policies, and the pod's container as a step that runs a container
 * action on the kubernetes (or docker) runner.
 */
export function convertCronJobs(file: string, text: string, options: ResolvedOptions): FileReport {
  const findings = new Findings(CRONJOB_FEATURES);
  const parsed = parseYamlSources(file, text);
  if (parsed.problems.length > 0) {
    return finish(
      "cronjob",
      file,
      [],
      [],
      parsed.problems.map((p) => `${file}:${p.line}:${p.col}: ${p.message}`),
    );
  }
  const drafts: Draft[] = [];
  const names = new Set<string>();
  let found = 0;
  for (const source of parsed.sources) {
    const value = source.value;
    if (!isRecord(value)) continue;
    const objects: Array<{ object: Obj; path: SourcePath }> =
      value.kind === "List" && Array.isArray(value.items)
        ? value.items.map((item, i) => ({ object: item as Obj, path: ["items", i] }))
        : [{ object: value, path: [] }];
    for (const { object, path } of objects) {
      if (!isRecord(object)) continue;
      if (object.kind !== "CronJob") {
        findings.output = undefined;
        const name =
          isRecord(object.metadata) && typeof object.metadata.name === "string"
            ? ` ${object.metadata.name}`
            : "";
        findings.add(
          "other-object",
          source.locate([...path, "kind"]),
          `${String(object.kind)}${name} stays a Kubernetes object`,
        );
        continue;
      }
      found++;
      drafts.push(...convertOne(source, object, path, options, findings, names));
    }
  }
  if (found > 1) {
    findings.output = undefined;
    findings.add("list", undefined, `${found} CronJobs became ${found} workflows`);
  }
  const errors = found === 0 ? [`${file}:1:1: no CronJob (kind: CronJob) in this file`] : [];
  return finish("cronjob", file, drafts, findings.list, errors);
}

function convertOne(
  source: YamlSource,
  cronJob: Obj,
  base: SourcePath,
  options: ResolvedOptions,
  findings: Findings<CronJobFeature>,
  names: Set<string>,
): Draft[] {
  const at = (...path: Array<string | number>) => source.locate([...base, ...path], { key: true });
  const metadata = isRecord(cronJob.metadata) ? cronJob.metadata : {};
  const objectName = typeof metadata.name === "string" ? metadata.name : "cronjob";
  const namespace = typeof metadata.namespace === "string" ? metadata.namespace : undefined;
  const name = unique(slug(objectName), names);
  findings.output = name;
  findings.add(
    "cronjob",
    at("kind"),
    `CronJob ${namespace ? `${namespace}/` : ""}${objectName} became workflow ${name}`,
  );

  const spec = isRecord(cronJob.spec) ? cronJob.spec : {};
  const jobSpec = isRecord(spec.jobTemplate) && isRecord(spec.jobTemplate.spec) ? spec.jobTemplate.spec : {};
  const template = isRecord(jobSpec.template) ? jobSpec.template : {};
  const pod = isRecord(template.spec) ? template.spec : {};
  const podPath = ["spec", "jobTemplate", "spec", "template", "spec"];

  const doc = new OutputDocument();
  const out = doc.value;
  out.name = name;
  out.description = `Kubernetes CronJob ${namespace ? `${namespace}/` : ""}${objectName}`;
  doc.route([...base, "metadata"], ["description"]);
  doc.route([...base, "spec"], ["on"]);

  // The schedule and its policies.
  const entry: Obj = {};
  const on: Obj = { manual: {}, schedule: [entry] };
  out.on = on;
  let cron = typeof spec.schedule === "string" ? spec.schedule.trim() : "";
  let zone = typeof spec.timeZone === "string" ? spec.timeZone : undefined;
  const prefixed = /^(?:CRON_)?TZ=(\S+)\s+(.*)$/.exec(cron);
  if (prefixed) {
    zone ??= prefixed[1];
    cron = (prefixed[2] as string).trim();
  }
  cron = ({ "@annually": "@yearly", "@midnight": "@daily" } as Record<string, string>)[cron] ?? cron;
  const problem = cron === "" ? "no schedule" : cronProblem(cron, zone ?? "UTC");
  if (problem) {
    findings.add(
      "schedule-unreadable",
      at("spec", "schedule"),
      `${problem}: the workflow keeps only on.manual until you write one`,
    );
    delete on.schedule;
    doc.note(
      ["on"],
      `NOT CONVERTED: the schedule '${String(spec.schedule ?? "")}' (${problem}); add on.schedule by hand.`,
    );
  } else {
    entry.cron = cron;
    findings.add("schedule", at("spec", "schedule"), `'${cron}'`);
    doc.route([...base, "spec", "schedule"], ["on", "schedule"]);
    if (zone) {
      entry.timezone = zone;
      findings.add("time-zone", at("spec", spec.timeZone !== undefined ? "timeZone" : "schedule"), zone);
      doc.route([...base, "spec", "timeZone"], ["on", "schedule", 0, "timezone"]);
    } else {
      findings.add("no-time-zone", at("spec", "schedule"));
    }
    const policy = spec.concurrencyPolicy;
    if (typeof policy === "string") {
      const mapped = ({ Allow: "allow", Forbid: "forbid", Replace: "replace" } as Record<string, string>)[
        policy
      ];
      if (mapped) {
        entry.concurrency = mapped;
        findings.add("concurrency-policy", at("spec", "concurrencyPolicy"), `${policy} -> ${mapped}`);
        doc.route([...base, "spec", "concurrencyPolicy"], ["on", "schedule", 0, "concurrency"]);
      }
    }
    if (typeof spec.startingDeadlineSeconds === "number") {
      entry.starting_deadline = durationText(spec.startingDeadlineSeconds);
      findings.add(
        "starting-deadline",
        at("spec", "startingDeadlineSeconds"),
        `${spec.startingDeadlineSeconds} s`,
      );
      doc.route([...base, "spec", "startingDeadlineSeconds"], ["on", "schedule", 0, "starting_deadline"]);
    }
    if (typeof spec.suspend === "boolean") {
      if (spec.suspend) entry.suspend = true;
      findings.add("suspend", at("spec", "suspend"), String(spec.suspend));
      doc.route([...base, "spec", "suspend"], ["on", "schedule", 0, spec.suspend ? "suspend" : "cron"]);
    }
  }
  for (const key of ["successfulJobsHistoryLimit", "failedJobsHistoryLimit"]) {
    if (spec[key] !== undefined)
      findings.add("history-limits", at("spec", key), `${key}: ${String(spec[key])}`);
  }
  if (jobSpec.ttlSecondsAfterFinished !== undefined) {
    findings.add(
      "history-limits",
      at("spec", "jobTemplate", "spec", "ttlSecondsAfterFinished"),
      "ttlSecondsAfterFinished",
    );
  }
  for (const key of [
    "completions",
    "parallelism",
    "completionMode",
    "podFailurePolicy",
    "backoffLimitPerIndex",
  ]) {
    const v = jobSpec[key];
    // One completion at a time is what a step does anyway.
    if (v === undefined || ((key === "completions" || key === "parallelism") && v === 1)) continue;
    findings.add("job-parallelism", at("spec", "jobTemplate", "spec", key), `${key}: ${JSON.stringify(v)}`);
  }

  // The pod.
  const containers = Array.isArray(pod.containers) ? pod.containers.filter(isRecord) : [];
  const drafts: Draft[] = [];
  const steps: Obj = {};
  const secrets: Obj = {};
  const stepIds = new Set<string>();
  const settings = podSettings(source, base, podPath, metadata, pod, options, findings);
  const retries = retryOf(jobSpec, pod, source, base, findings);
  const deadline =
    typeof jobSpec.activeDeadlineSeconds === "number" ? jobSpec.activeDeadlineSeconds : undefined;
  if (deadline !== undefined) {
    findings.add(
      retries ? "active-deadline-retries" : "active-deadline",
      at("spec", "jobTemplate", "spec", "activeDeadlineSeconds"),
      `${deadline} s -> timeout ${durationText(deadline)}`,
    );
  }
  const initContainers = Array.isArray(pod.initContainers) ? pod.initContainers.filter(isRecord) : [];
  const ordered = [
    ...initContainers.map((c, i) => ({ container: c, path: [...podPath, "initContainers", i], init: true })),
    ...containers
      .slice(0, 1)
      .map((c) => ({ container: c, path: [...podPath, "containers", 0], init: false })),
  ];
  if (initContainers.length > 0)
    findings.add(
      "init-containers",
      at(...podPath, "initContainers"),
      `${initContainers.length} init container(s) run first, in order`,
    );
  containers.slice(1).forEach((c, i) => {
    findings.add(
      "more-containers",
      at(...podPath, "containers", i + 1),
      `container ${String(c.name)} (${String(c.image)}) was not converted`,
    );
  });
  if (containers.length === 0) {
    findings.add("other-pod-fields", at(...podPath), "the pod has no containers");
  }
  let previous: string | undefined;
  for (const { container, path, init } of ordered) {
    const containerName = typeof container.name === "string" ? container.name : "main";
    const id = unique(identifier(containerName), stepIds, "_");
    const actionName = slug(`${name}-${containerName}`);
    const step: Obj = {};
    if (previous) step.needs = [previous];
    step.uses = `${options.actionsUses}/${actionName}`;
    step.runner = { ...settings.runner };
    const env = containerEnv(source, base, path, container, id, secrets, doc, findings);
    if (Object.keys(env).length > 0) step.env = env;
    if (deadline !== undefined) step.timeout = durationText(deadline);
    if (retries) step.retry = retries;
    steps[id] = step;
    doc.route([...base, ...path], ["steps", id]);
    doc.route([...base, ...path, "image"], ["steps", id, "uses"]);
    doc.route([...base, ...path, "env"], ["steps", id, "env"]);
    doc.route([...base, ...path, "resources"], ["steps", id, "runner"]);
    if (!init) {
      const job = [...base, "spec", "jobTemplate", "spec"];
      doc.route([...base, "metadata", "namespace"], ["steps", id, "runner", "namespace"]);
      doc.route([...job, "activeDeadlineSeconds"], ["steps", id, "timeout"]);
      doc.route([...job, "backoffLimit"], ["steps", id, "retry"]);
      doc.route([...base, ...podPath, "restartPolicy"], ["steps", id, "retry"]);
      doc.route([...base, ...podPath, "securityContext"], ["steps", id, "runner"]);
      doc.route([...base, ...podPath, "serviceAccountName"], ["steps", id, "runner"]);
      doc.route([...base, ...path, "securityContext"], ["steps", id, "runner"]);
    }
    // The action file carries these with their comments.
    doc.consume([...base, ...path, "command"]);
    doc.consume([...base, ...path, "args"]);
    containerSettings(source, base, path, container, step, options, findings);
    for (const note of settings.notes) doc.note(["steps", id], note);
    drafts.push(
      containerAction(source, base, path, container, actionName, id, objectName, options, findings),
    );
    previous = id;
  }
  if (Object.keys(secrets).length > 0) out.secrets = secrets;
  out.steps =
    Object.keys(steps).length > 0
      ? steps
      : { empty: { run: failingScript("gantry import: the CronJob's pod has no containers") } };
  doc.route([...base, "spec", "jobTemplate"], ["steps"]);
  return [
    {
      kind: "workflow",
      name,
      path: `${name}.yaml`,
      doc,
      origin: `CronJob ${namespace ? `${namespace}/` : ""}${objectName}`,
      comments: source.comments.filter((c) => startsWith(c.path, base)),
      ...(source.header && base.length === 0 ? { sourceHeader: source.header } : {}),
    },
    ...drafts,
  ];
}

/** restartPolicy and backoffLimit: Kubernetes retries a failed pod (or container) up to backoffLimit times. */
function retryOf(
  jobSpec: Obj,
  pod: Obj,
  source: YamlSource,
  base: SourcePath,
  findings: Findings<CronJobFeature>,
): Obj | undefined {
  const limit = typeof jobSpec.backoffLimit === "number" ? jobSpec.backoffLimit : DEFAULT_BACKOFF_LIMIT;
  const where =
    jobSpec.backoffLimit !== undefined
      ? ["spec", "jobTemplate", "spec", "backoffLimit"]
      : ["spec", "jobTemplate"];
  const restart = typeof pod.restartPolicy === "string" ? ` (restartPolicy ${pod.restartPolicy})` : "";
  const detail =
    limit === 0
      ? `backoffLimit 0${restart}: no retry`
      : `backoffLimit ${limit}${jobSpec.backoffLimit === undefined ? " (the default)" : ""}${restart} -> ${limit + 1} attempts${limit > 6 ? "; Gantry's backoff keeps doubling past Kubernetes' 6-minute cap" : ""}`;
  findings.add("backoff-limit", source.locate([...base, ...where], { key: true }), detail);
  return limit > 0 ? { attempts: limit + 1, backoff: "exponential", delay: "10s" } : undefined;
}

function containerEnv(
  source: YamlSource,
  base: SourcePath,
  path: SourcePath,
  container: Obj,
  stepId: string,
  secrets: Obj,
  doc: OutputDocument,
  findings: Findings<CronJobFeature>,
): Obj {
  const env: Obj = {};
  const list = Array.isArray(container.env) ? container.env : [];
  list.forEach((item, i) => {
    if (!isRecord(item) || typeof item.name !== "string") return;
    const at = source.locate([...base, ...path, "env", i], { key: true });
    const from = isRecord(item.valueFrom) ? item.valueFrom : undefined;
    if (!from) {
      env[item.name] = item.value === undefined ? "" : item.value;
      findings.add("env", at, item.name);
      doc.route([...base, ...path, "env", i], ["steps", stepId, "env", item.name]);
      return;
    }
    if (isRecord(from.secretKeyRef)) {
      const secret = envName(item.name);
      const ref = from.secretKeyRef;
      secrets[secret] = `ref+env://${secret}`;
      env[item.name] = `\${{ secrets.${secret} }}`;
      doc.note(
        ["secrets", secret],
        `Fill in: Kubernetes Secret ${String(ref.name)}, key ${String(ref.key)}${ref.optional ? " (optional)" : ""}. ref+env:// reads the worker's environment; point it at your secret store instead (ref+vault://…, ref+sops://…).`,
      );
      findings.add(
        "env-secret",
        at,
        `${item.name} from Secret ${String(ref.name)} key ${String(ref.key)} -> secrets.${secret}`,
      );
      doc.route([...base, ...path, "env", i], ["steps", stepId, "env", item.name]);
      return;
    }
    const kind = Object.keys(from)[0] ?? "valueFrom";
    findings.add("env-config-map", at, `${item.name} (${kind} ${JSON.stringify(from[kind])})`);
    doc.note(
      ["steps", stepId, "env"],
      `NOT CONVERTED: ${item.name} came from ${kind} ${JSON.stringify(from[kind])}: set its value here.`,
    );
  });
  const envFrom = Array.isArray(container.envFrom) ? container.envFrom : [];
  envFrom.forEach((item, i) => {
    if (!isRecord(item)) return;
    const kind = isRecord(item.secretRef) ? "Secret" : "ConfigMap";
    const ref = (isRecord(item.secretRef) ? item.secretRef : item.configMapRef) as Obj | undefined;
    const prefix = typeof item.prefix === "string" ? ` with prefix ${item.prefix}` : "";
    findings.add(
      "env-from",
      source.locate([...base, ...path, "envFrom", i], { key: true }),
      `every key of ${kind} ${String(ref?.name)}${prefix}`,
    );
    doc.note(
      ["steps", stepId],
      `NOT CONVERTED: envFrom ${kind} ${String(ref?.name)}${prefix}: add each of its keys to env${kind === "Secret" ? " as ${{ secrets.NAME }} with a reference under secrets:" : ""}.`,
    );
  });
  return env;
}

/** The container's own settings that land on the step: pull policy, resources, user, and what is dropped. */
function containerSettings(
  source: YamlSource,
  base: SourcePath,
  path: SourcePath,
  container: Obj,
  step: Obj,
  options: ResolvedOptions,
  findings: Findings<CronJobFeature>,
): void {
  const at = (key: string) => source.locate([...base, ...path, key], { key: true });
  const runner = step.runner as Obj;
  if (typeof container.imagePullPolicy === "string") {
    const pull = ({ Always: "always", IfNotPresent: "if-missing", Never: "never" } as Record<string, string>)[
      container.imagePullPolicy
    ];
    if (pull) {
      runner.pull = pull;
      findings.add("image-pull-policy", at("imagePullPolicy"), `${container.imagePullPolicy} -> ${pull}`);
    }
  }
  if (isRecord(container.resources)) {
    const { requests, limits } = container.resources as { requests?: Obj; limits?: Obj };
    if (options.runner === "kubernetes") {
      runner.resources = {
        ...(isRecord(requests) ? { requests } : {}),
        ...(isRecord(limits) ? { limits } : {}),
      };
      findings.add("resources", at("resources"), "requests and limits");
    } else {
      if (isRecord(limits) && limits.cpu !== undefined) runner.cpus = limits.cpu;
      if (isRecord(limits) && limits.memory !== undefined) runner.memory = limits.memory;
      findings.add("resources", at("resources"), "limits -> cpus, memory");
      if (isRecord(requests)) findings.add("docker-runner-drops", at("resources"), "resource requests");
    }
  }
  const security = isRecord(container.securityContext) ? container.securityContext : undefined;
  if (security) userAndRest(security, runner, at("securityContext"), findings);
  if (typeof container.workingDir === "string")
    findings.add("working-dir", at("workingDir"), container.workingDir);
  for (const probe of ["livenessProbe", "readinessProbe", "startupProbe"]) {
    if (container[probe] !== undefined) findings.add("probes", at(probe), probe);
  }
  if (container.volumeMounts !== undefined) {
    const mounts = Array.isArray(container.volumeMounts) ? container.volumeMounts.filter(isRecord) : [];
    findings.add(
      "volumes",
      at("volumeMounts"),
      `mounts ${mounts.map((m) => `${String(m.name)} at ${String(m.mountPath)}`).join(", ")}: provide these files another way`,
    );
  }
  if (container.ports !== undefined) findings.add("metadata", at("ports"), "container ports");
  const words = [
    ...(Array.isArray(container.command) ? container.command : []),
    ...(Array.isArray(container.args) ? container.args : []),
  ];
  const references = words.filter(
    (w) => typeof w === "string" && /(?<!\$)\$\([A-Za-z_][A-Za-z0-9_]*\)/.test(w),
  );
  if (references.length > 0)
    findings.add("command-variables", at(container.args ? "args" : "command"), references.join(" "));
}

/** The container action a step runs: the image with command as its entrypoint and args as its command. */
function containerAction(
  source: YamlSource,
  base: SourcePath,
  path: SourcePath,
  container: Obj,
  name: string,
  stepId: string,
  cronJobName: string,
  options: ResolvedOptions,
  findings: Findings<CronJobFeature>,
): Draft {
  const doc = new OutputDocument();
  const runs: Obj = { using: "container", image: String(container.image ?? "") };
  const command = stringList(container.command);
  const args = stringList(container.args);
  if (command) runs.entrypoint = command;
  if (args) runs.command = args;
  doc.value.name = name;
  doc.value.description = `Container ${String(container.name ?? stepId)} of CronJob ${cronJobName}`;
  doc.value.runs = runs;
  const parts = [
    `image ${runs.image}`,
    command ? `command ${JSON.stringify(command)}` : "the image's entrypoint",
    args ? `args ${JSON.stringify(args)}` : command ? "" : "and command",
  ].filter(Boolean);
  findings.add(
    "container",
    source.locate([...base, ...path], { key: true }),
    `${parts.join(", ")} -> action ${options.actionsDir}/${name}`,
  );
  doc.route([...base, ...path, "command"], ["runs", "entrypoint"]);
  doc.route([...base, ...path, "args"], ["runs", "command"]);
  return {
    kind: "action",
    name,
    path: `${options.actionsDir}/${name}/action.yaml`,
    doc,
    origin: `container ${String(container.name ?? stepId)} of CronJob ${cronJobName}`,
    comments: source.comments.filter(
      (c) =>
        startsWith(c.path, [...base, ...path, "command"]) || startsWith(c.path, [...base, ...path, "args"]),
    ),
  };
}

function stringList(value: unknown): string[] | undefined {
  if (!Array.isArray(value)) return undefined;
  return value.map((v) => String(v));
}
