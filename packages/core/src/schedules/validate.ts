import type { Problem, WorkflowSpec } from "../format/types.js";
import { coerceInputs } from "../inputs/coerce.js";
import type { SourceFile } from "../yaml/parse.js";
import { cronProblem, timezoneProblem } from "./cron.js";
import { type ScheduleEntry, scheduleEntries } from "./entries.js";

/**
 * What the JSON Schema cannot check in `on.schedule`: that each cron expression parses (croner), that
 * each time zone is an IANA one, that the inputs fit the workflow's, and that names are unique. Entries
 * the schema already rejected are left to its problems.
 */
export function scheduleProblems(source: SourceFile | undefined): Problem[] {
  const value = source?.value as Partial<WorkflowSpec> | undefined;
  if (!source || value === null || typeof value !== "object" || !isMap(value.on)) return [];
  const raw = value.on.schedule;
  if (raw === undefined || raw === null) return [];
  const entries = scheduleEntries(value as WorkflowSpec);
  if (entries.length === 0) return [];
  const listed = Array.isArray(raw);
  const problems: Problem[] = [];
  const names = new Map<string, number>();
  entries.forEach((entry: ScheduleEntry, index) => {
    if (!isMap(entry)) return;
    const path = (...keys: string[]) => ["on", "schedule", ...(listed ? [index] : []), ...keys];
    const where = (...keys: string[]) => path(...keys).join(".");
    const at = (keys: string[], key = false) => ({
      file: source.file,
      ...source.locate(path(...keys), { key }),
    });
    const zone = typeof entry.timezone === "string" ? timezoneProblem(entry.timezone) : undefined;
    if (zone) problems.push({ ...at(["timezone"]), message: `${where("timezone")}: ${zone}` });
    if (typeof entry.cron === "string") {
      // A bad time zone is reported on its own; the expression is still checked (in UTC).
      const problem = cronProblem(entry.cron.trim(), zone ? "UTC" : entry.timezone);
      if (problem) problems.push({ ...at(["cron"]), message: `${where("cron")}: ${problem}` });
    }
    if (typeof entry.name === "string") {
      const first = names.get(entry.name);
      if (first === undefined) names.set(entry.name, index);
      else
        problems.push({
          ...at(["name"]),
          message: `${where("name")}: '${entry.name}' already names on.schedule.${first}`,
        });
    }
    if (entry.inputs !== undefined && !isMap(entry.inputs)) return;
    const declared = isMap(value.inputs) ? (value.inputs as WorkflowSpec["inputs"]) : {};
    let errors: Array<{ field: string; message: string }>;
    try {
      errors = coerceInputs(declared, entry.inputs ?? {}).errors;
    } catch {
      return; // the workflow's own input declarations are broken: their problems say so
    }
    for (const error of errors) {
      const given = entry.inputs !== undefined && error.field in entry.inputs;
      problems.push({
        ...(given ? at(["inputs", error.field]) : at([])),
        message: `${where("inputs")}: ${error.message}`,
      });
    }
  });
  return problems.sort((a, b) => a.line - b.line || a.col - b.col);
}

function isMap(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
