import { changeSignal } from "../service/change-signal.js";
import type { Database } from "../store/database.js";

const triggers = changeSignal();

/** Tells this process's trigger listeners that the `triggers` table changed (a sync). */
export function triggersChanged(database: Database): void {
  triggers.notify(database);
}

export function onTriggersChanged(database: Database, handler: () => void): () => void {
  return triggers.subscribe(database, handler);
}
