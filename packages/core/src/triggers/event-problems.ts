import type { Problem, WorkflowSpec } from "../format/types.js";
import { EVENT_TRIGGER_KINDS } from "../vocabulary/triggers.js";
import type { SourceFile } from "../yaml/parse.js";
import { inputMappingProblems } from "./input-mapping.js";

/**
 * What the JSON Schema cannot check in the event trigger entries: a postgres entry names a channel or
 * a table (not both), `operations` goes with `table`, the `inputs:` it maps are inputs the workflow
 * declares, and every required input without a default is mapped. Entries the schema rejected are
 * left to its problems.
 */
export function eventTriggerProblems(source: SourceFile | undefined): Problem[] {
  const value = source?.value as Partial<WorkflowSpec> | undefined;
  if (!source || !isMap(value) || !isMap(value.on)) return [];
  const on = value.on;
  const declared = isMap(value.inputs)
    ? (value.inputs as Record<string, { required?: boolean; default?: unknown }>)
    : {};
  const problems: Problem[] = [];
  const keys: string[] = [...EVENT_TRIGGER_KINDS, "workflow_run"];
  for (const kind of keys) {
    const raw = on[kind];
    if (raw === undefined || raw === null) continue;
    const listed = Array.isArray(raw);
    const entries = (listed ? raw : [raw]) as unknown[];
    entries.forEach((entry, index) => {
      if (!isMap(entry)) return;
      const path = (...rest: string[]) => ["on", kind, ...(listed ? [index] : []), ...rest];
      const where = (...rest: string[]) => path(...rest).join(".");
      const at = (rest: string[], key = false) => ({
        file: source.file,
        ...source.locate(path(...rest), { key }),
      });
      if (kind === "postgres") {
        const hasChannel = entry.channel !== undefined;
        const hasTable = entry.table !== undefined;
        if (hasChannel === hasTable)
          problems.push({
            ...at([], true),
            message: `${where()}: give either 'channel' (LISTEN/NOTIFY) or 'table' (logical replication), not ${hasChannel ? "both" : "neither"}`,
          });
        else if (typeof entry.channel === "string" && entry.channel.toLowerCase().startsWith("gantry_"))
          problems.push({
            ...at(["channel"]),
            message: `${where("channel")}: channels starting with 'gantry_' are Gantry's own (it wakes its workers on them); choose another name`,
          });
        else if (entry.operations !== undefined && !hasTable)
          problems.push({
            ...at(["operations"], true),
            message: `${where("operations")}: 'operations' applies to 'table' (logical replication), not to 'channel'`,
          });
      }
      problems.push(...inputMappingProblems(entry, declared, { where, at }, "event"));
    });
  }
  return problems.sort((a, b) => a.line - b.line || a.col - b.col);
}

function isMap(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
