import { changeSignal } from "../service/change-signal.js";
import type { Database } from "../store/database.js";

const schedules = changeSignal();

/**
 * Tells this process's schedulers that schedules changed (synced, suspended, resumed), so the leader
 * recomputes its timer at once. A leader in another process notices at its next lease renewal, from
 * the schedules' signature.
 */
export function schedulesChanged(database: Database): void {
  schedules.notify(database);
}

export function onSchedulesChanged(database: Database, handler: () => void): () => void {
  return schedules.subscribe(database, handler);
}
