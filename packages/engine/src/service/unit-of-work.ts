import type { Transaction } from "kysely";
import type { Channel, NotifierLike } from "../queue/notifier.js";
import type { Database, Dialect } from "../store/database.js";
import type { Tables } from "../store/tables.js";

/**
 * One transaction that service operations share: the caller opens it with `withUnitOfWork` and passes it
 * to as many operations as must commit or roll back together (a schedule's fire record and the run it
 * starts, an event's record and its run). Operations never open a transaction of their own.
 */
export interface UnitOfWork {
  /**
   * The open transaction: every statement of the unit runs on it. Never `ctx.database.db` inside a unit:
   * on SQLite the unit holds the one connection, and a statement on the database itself waits for it.
   */
  readonly db: Transaction<Tables>;
  readonly dialect: Dialect;
  /**
   * Wakes other processes (idle workers, a cancelled run's worker) once the unit has committed: a worker
   * woken earlier would look for jobs it cannot see yet and then sleep until its next poll. Dropped if the
   * unit rolls back. The same channel and payload are sent once.
   */
  notify(channel: Channel, payload?: string): void;
  /** Runs `effect` (an in-process change signal) once the unit has committed; dropped on rollback. */
  afterCommit(effect: () => void): void;
  /** Runs `effect` once the unit has failed (rolled back, or its commit's answer lost); dropped on commit. */
  afterFailure(effect: () => void): void;
}

/** Runs `fn` in one transaction, then sends what it held for after the commit (see UnitOfWork). */
export async function withUnitOfWork<T>(
  owner: { database: Database; notifier: NotifierLike },
  fn: (tx: UnitOfWork) => Promise<T>,
): Promise<T> {
  const wakeUps = new Map<string, { channel: Channel; payload: string | undefined }>();
  const effects: Array<() => void> = [];
  const failures: Array<() => void> = [];
  const unit = owner.database.db.transaction().execute((db) =>
    fn({
      db,
      dialect: owner.database.dialect,
      notify(channel, payload) {
        wakeUps.set(`${channel}\u0000${payload ?? ""}`, { channel, payload });
      },
      afterCommit(effect) {
        effects.push(effect);
      },
      afterFailure(effect) {
        failures.push(effect);
      },
    }),
  );
  const result = await unit.catch((error: unknown) => {
    for (const effect of failures) effect();
    throw error;
  });
  try {
    for (const { channel, payload } of wakeUps.values()) await owner.notifier.notify(channel, payload);
  } finally {
    // Committed: the effects run even when a wake-up could not be sent (a task handed to a worker).
    for (const effect of effects) effect();
  }
  return result;
}
