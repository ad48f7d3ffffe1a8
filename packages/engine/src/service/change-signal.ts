import { EventEmitter } from "node:events";
import type { Database } from "../store/database.js";

/**
 * An in-process "something changed" signal, one per database (per Kysely instance), so that several
 * databases in one process (tests) do not wake each other's listeners. Other processes notice such
 * changes by their own polling; this only saves the local ones the wait.
 */
export function changeSignal(): {
  notify(database: Database): void;
  subscribe(database: Database, handler: () => void): () => void;
} {
  const emitters = new WeakMap<object, EventEmitter>();
  const emitterOf = (database: Database) => {
    let emitter = emitters.get(database.db);
    if (!emitter) {
      emitter = new EventEmitter();
      emitter.setMaxListeners(0);
      emitters.set(database.db, emitter);
    }
    return emitter;
  };
  return {
    notify: (database) => emitterOf(database).emit("changed"),
    subscribe(database, handler) {
      const emitter = emitterOf(database);
      emitter.on("changed", handler);
      return () => emitter.off("changed", handler);
    },
  };
}
