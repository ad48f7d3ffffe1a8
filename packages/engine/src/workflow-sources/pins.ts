import type { LibraryPin } from "../loader/load-workflow.js";
import { decodeDefinition } from "../store/decode/index.js";
import type { Db } from "../store/queries/types.js";
import { sourceKey } from "./activate.js";

/** One `uses:` of a library at the active revision: which ref it names and the commit that ref was. */
export interface SourcePin extends LibraryPin {
  workflow: string;
  step: string;
}

/**
 * Every library pin of a source's active workflows, sorted as a lockfile would be (library, path, ref,
 * then who uses it). Pins are made when a commit is activated and kept in each workflow's revision, so
 * runs and re-runs of it use those commits whatever the library's branches and tags do later.
 */
export async function sourcePins(db: Db, source: string): Promise<SourcePin[]> {
  const rows = await db
    .selectFrom("workflows")
    .select(["name", "definition_json"])
    .where("source", "=", sourceKey(source))
    .execute();
  const pins: SourcePin[] = [];
  for (const row of rows) {
    const definition = decodeDefinition(row);
    for (const [step, action] of Object.entries(definition.actions))
      if (action.pin) pins.push({ ...action.pin, workflow: row.name, step });
    for (const [step, call] of Object.entries(definition.calls ?? {}))
      pins.push({ ...call.pin, workflow: row.name, step });
  }
  const key = (p: SourcePin) => [p.library, p.path, p.ref, p.workflow, p.step].join("\u0000");
  return pins.sort((a, b) => key(a).localeCompare(key(b)));
}
