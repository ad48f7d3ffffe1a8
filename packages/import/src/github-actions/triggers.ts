import { checkValue, type InputSpec, workflowSchema } from "@gantry/core";
import type { OutputDocument } from "../output/document.js";
import type { Findings } from "../report/report.js";
import { cronProblem } from "../shared/cron.js";
import { identifier, slug } from "../shared/names.js";
import { isRecord, type SourcePath, type YamlSource } from "../source/yaml-source.js";
import type { GithubFeature } from "./features.js";

type Obj = Record<string, unknown>;

const PUSH_FILTERS = ["branches", "branches-ignore", "tags", "tags-ignore", "paths", "paths-ignore"];
const PULL_REQUEST_FILTERS = ["branches", "branches-ignore", "paths", "paths-ignore", "types"];
/** The pull request activity types Gantry's schema knows. */
const PULL_REQUEST_TYPES: readonly string[] =
  workflowSchema.properties.on.properties.pull_request.properties.types.items.enum;

export interface Triggers {
  on: Obj;
  inputs: Obj;
  /** GitHub input name -> Gantry input id. */
  inputIds: Map<string, string>;
}

/** `on:` of a GitHub workflow (a string, a list or a map) as Gantry's triggers and inputs. */
export function convertTriggers(
  source: YamlSource,
  doc: OutputDocument,
  findings: Findings<GithubFeature>,
): Triggers {
  const value = (source.value as Obj).on ?? (source.value as Obj).true;
  const key = (source.value as Obj).on !== undefined ? "on" : "true";
  const events: Obj =
    typeof value === "string"
      ? { [value]: null }
      : Array.isArray(value)
        ? Object.fromEntries(value.map((e) => [String(e), null]))
        : isRecord(value)
          ? value
          : {};
  const out: Triggers = { on: {}, inputs: {}, inputIds: new Map() };
  const at = (...path: Array<string | number>) => source.locate([key, ...path], { key: true });
  for (const [event, config] of Object.entries(events)) {
    const here = isRecord(value) ? at(event) : at();
    doc.route([key, event], ["on", gantryEvent(event)]);
    switch (event) {
      case "push":
      case "pull_request": {
        const allowed = event === "push" ? PUSH_FILTERS : PULL_REQUEST_FILTERS;
        const filters: Obj = {};
        for (const [k, v] of Object.entries(isRecord(config) ? config : {})) {
          if (!allowed.includes(k)) continue;
          if (k === "types" && Array.isArray(v)) {
            const known = v.filter((t) => PULL_REQUEST_TYPES.includes(String(t)));
            if (known.length > 0) filters.types = known;
            continue;
          }
          filters[k] = Array.isArray(v) ? v.map(String) : [String(v)];
        }
        out.on[event] = Object.keys(filters).length > 0 ? filters : null;
        const summary = Object.entries(filters)
          .map(([k, v]) => `${k}: ${(v as string[]).join(", ")}`)
          .join("; ");
        findings.add(event === "push" ? "on-push" : "on-pull-request", here, summary || "every branch");
        break;
      }
      case "schedule": {
        const entries = (Array.isArray(config) ? config : []).filter(isRecord);
        const schedule: Obj[] = [];
        entries.forEach((entry, i) => {
          const cron = typeof entry.cron === "string" ? entry.cron.trim() : "";
          const problem = cronProblem(cron);
          if (problem) {
            findings.add("context-unsupported", at(event, i), `cron ${problem}`);
            return;
          }
          schedule.push({ cron });
          findings.add("on-schedule", at(event, i), `'${cron}' (UTC)`);
          doc.route([key, event, i], ["on", "schedule", schedule.length - 1]);
        });
        if (schedule.length > 0) out.on.schedule = schedule;
        break;
      }
      case "workflow_dispatch":
      case "workflow_call":
        if (event === "workflow_dispatch") {
          out.on.manual = {};
          findings.add("on-dispatch", here);
        } else {
          findings.add(
            "on-workflow-call",
            here,
            "the workflow's inputs are declared; callers use it once sub-workflows exist",
          );
        }
        declareInputs(
          source,
          [key, event, "inputs"],
          isRecord(config) ? config.inputs : undefined,
          out,
          doc,
          findings,
        );
        break;
      case "workflow_run": {
        const names = isRecord(config) && Array.isArray(config.workflows) ? config.workflows.map(String) : [];
        if (names.length > 0) {
          // `completed` is any conclusion; the job's if usually picks one (github.event.workflow_run.conclusion).
          out.on.workflow = names.map((n) => ({
            name: slug(n),
            result: ["success", "failure", "cancelled"],
          }));
          findings.add("on-workflow-run", here, names.join(", "));
        } else findings.add("on-other", here, "workflow_run without workflows");
        break;
      }
      case "pull_request_target":
        findings.add("on-pull-request-target", here);
        doc.note(
          ["on"],
          "NOT CONVERTED: on.pull_request_target (runs with the base repository's secrets); see the import report.",
        );
        break;
      default:
        findings.add("on-other", here, event);
        doc.note(
          ["on"],
          `NOT CONVERTED: on.${event}: add an on.webhook entry that a GitHub webhook for ${event} calls.`,
        );
    }
  }
  // GitHub asks for required inputs only when a person starts the workflow; other events run it with
  // them empty. A Gantry input that is required is required of every trigger, schedules included.
  if (Object.keys(out.on).some((k) => k !== "manual")) {
    for (const [id, input] of Object.entries(out.inputs) as Array<[string, Obj]>) {
      if (input.required !== true) continue;
      delete input.required;
      const name = [...out.inputIds].find(([, v]) => v === id)?.[0] ?? id;
      findings.add(
        "dispatch-input-required",
        source.locate([key, "workflow_dispatch", "inputs", name], { key: true }),
        name,
      );
    }
  }
  return out;
}

function gantryEvent(event: string): string {
  return event === "workflow_dispatch" ? "manual" : event === "workflow_run" ? "workflow" : event;
}

/** workflow_dispatch and workflow_call inputs as Gantry inputs of the same types. */
function declareInputs(
  source: YamlSource,
  path: SourcePath,
  inputs: unknown,
  out: Triggers,
  doc: OutputDocument,
  findings: Findings<GithubFeature>,
): void {
  if (!isRecord(inputs)) return;
  for (const [name, raw] of Object.entries(inputs)) {
    const spec = isRecord(raw) ? raw : {};
    const id = out.inputIds.get(name) ?? identifier(name);
    out.inputIds.set(name, id);
    const at = source.locate([...path, name], { key: true });
    const type = typeof spec.type === "string" ? spec.type : "string";
    const input: Obj = {};
    if (type === "choice" && Array.isArray(spec.options)) {
      input.type = "choice";
      input.enum = spec.options.map(String);
    } else if (type === "boolean" || type === "number" || type === "string") {
      input.type = type;
    } else {
      input.type = "string";
      if (type === "environment") findings.add("dispatch-input-environment", at, name);
    }
    if (typeof spec.description === "string") input.description = spec.description;
    if (spec.required === true) input.required = true;
    if (spec.default !== undefined) {
      const value = coerce(input.type as string, spec.default);
      const problem = checkValue(input as unknown as InputSpec, value);
      if (problem)
        doc.note(["inputs", id], `The default ${JSON.stringify(spec.default)} was left out: ${problem}.`);
      else input.default = value;
    }
    if (out.inputs[id] === undefined) {
      out.inputs[id] = input;
      findings.add("dispatch-inputs", at, `${name}: ${type}${id !== name ? ` -> inputs.${id}` : ""}`);
      doc.route([...path, name], ["inputs", id]);
    }
  }
}

/** GitHub writes defaults as text often ("false", "10"): typed as the input's type. */
function coerce(type: string, value: unknown): unknown {
  if (type === "boolean" && typeof value === "string")
    return value === "true" ? true : value === "false" ? false : value;
  if (type === "number" && typeof value === "string" && value.trim() !== "" && !Number.isNaN(Number(value)))
    return Number(value);
  if (type === "string" && typeof value !== "string") return String(value);
  return value;
}
