import { EventEmitter } from "node:events";
import type { Database } from "../store/database.js";

// One emitter per database (per Kysely instance), so that several databases in one process (tests)
// do not wake each other's schedulers.
const emitters = new WeakMap<object, EventEmitter>();

function emitterOf(database: Database): EventEmitter {
  let emitter = emitters.get(database.db);
  if (!emitter) {
    emitter = new EventEmitter();
    emitter.setMaxListeners(0);
    emitters.set(database.db, emitter);
  }
  return emitter;
}

/**
 * Tells this process's schedulers that schedules changed (synced, suspended, resumed), so the leader
 * recomputes its timer at once. A leader in another process notices at its next lease renewal, from
 * the schedules' signature.
 */
export function schedulesChanged(database: Database): void {
  emitterOf(database).emit("changed");
}

export function onSchedulesChanged(database: Database, handler: () => void): () => void {
  const emitter = emitterOf(database);
  emitter.on("changed", handler);
  return () => emitter.off("changed", handler);
}
