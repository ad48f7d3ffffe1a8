import { EventEmitter } from "node:events";
import type { Database } from "../store/database.js";

// One emitter per database (per Kysely instance), as for the scheduler: tests with several databases
// in one process must not wake each other's listeners.
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

/** Tells this process's trigger listeners that the `triggers` table changed (a sync). */
export function triggersChanged(database: Database): void {
  emitterOf(database).emit("changed");
}

export function onTriggersChanged(database: Database, handler: () => void): () => void {
  const emitter = emitterOf(database);
  emitter.on("changed", handler);
  return () => emitter.off("changed", handler);
}
