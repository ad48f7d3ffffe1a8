import { triggerSpecs } from "@gantry/core";
import type { ServiceContext } from "../service/context.js";
import type { UnitOfWork } from "../service/unit-of-work.js";
import { decodeDefinition } from "../store/decode/index.js";
import { listWorkflows } from "../store/queries/list-workflows.js";
import { setTriggerCheckpoints } from "../store/queries/trigger-checkpoints.js";
import { deleteTriggers } from "../store/queries/trigger-delete.js";
import { listTriggers } from "../store/queries/trigger-list.js";
import { type TriggerDefinition, upsertTriggers } from "../store/queries/trigger-upsert.js";

export interface TriggerSyncResult {
  added: string[];
  changed: string[];
  removed: string[];
}

/**
 * Makes the `triggers` table match the registered workflows' event trigger entries. Only what changed
 * is written; a listener whose definition changed is restarted by its manager, one that is gone is stopped.
 */
export async function syncTriggers(ctx: ServiceContext, unit: UnitOfWork): Promise<TriggerSyncResult> {
  const { db: tx } = unit;
  const result: TriggerSyncResult = { added: [], changed: [], removed: [] };
  const wanted = new Map<string, TriggerDefinition>();
  for (const workflow of await listWorkflows(tx)) {
    const definition = decodeDefinition(workflow);
    for (const spec of triggerSpecs(workflow.name, definition.workflow)) {
      wanted.set(spec.id, {
        id: spec.id,
        workflow: spec.workflow,
        kind: spec.kind,
        position: spec.position,
        config_json: JSON.stringify(spec.config),
        inputs_json: JSON.stringify(spec.inputs),
      });
    }
  }
  const existing = new Map((await listTriggers(tx)).map((r) => [r.id, r]));
  const writes: TriggerDefinition[] = [];
  for (const row of wanted.values()) {
    const old = existing.get(row.id);
    if (!old) result.added.push(row.id);
    else if (
      old.config_json !== row.config_json ||
      old.inputs_json !== row.inputs_json ||
      Number(old.position) !== row.position
    )
      result.changed.push(row.id);
    else continue;
    writes.push(row);
  }
  const now = ctx.now();
  await upsertTriggers(tx, writes, now);
  // Where a new trigger starts reading from is when it was declared, not when a listener first
  // connects: a run finishing (or a record put) in between is not skipped.
  for (const id of result.added) {
    const kind = wanted.get(id)?.kind;
    if (kind === "workflow") await setTriggerCheckpoints(tx, id, { finished_at: String(now) }, now);
    if (kind === "kinesis") await setTriggerCheckpoints(tx, id, { started_at: String(now) }, now);
  }
  const gone = [...existing.keys()].filter((id) => !wanted.has(id));
  await deleteTriggers(tx, gone);
  result.removed.push(...gone);
  if (result.added.length + result.changed.length + result.removed.length > 0)
    unit.afterCommit(() => ctx.changes.triggers.notify());
  return result;
}
