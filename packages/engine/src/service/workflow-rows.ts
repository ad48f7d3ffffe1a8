import type { Selectable } from "kysely";
import type { WorkflowsTable } from "../store/tables.js";

/** Names kept at most: far more workflows than a deployment registers; past it the cache starts over. */
const MAX_ENTRIES = 10_000;

/**
 * The workflow rows this process last read, by name, for startRun: an API request starting a run
 * used to read its workflow's row each time (a statement per run). Another process (a second server, a
 * git source's sync) may change a workflow at any moment, and no time-to-live or change notification
 * can promise a run never starts on a revision replaced before it was asked for (a notification is
 * delivered after the change commits, a TTL later still). So an entry is never trusted alone: the
 * statement that writes a run started from it checks, in its own snapshot, that the workflow still has
 * that revision, and writes nothing otherwise (see insertManyNotifying's `guard`); startRun then
 * forgets the entry and starts the run again from a fresh read. Where no such statement writes the
 * run, the row is read again before it is written, as before.
 */
export class WorkflowRowCache {
  private readonly rows = new Map<string, Selectable<WorkflowsTable>>();

  get(name: string): Selectable<WorkflowsTable> | undefined {
    return this.rows.get(name);
  }

  set(row: Selectable<WorkflowsTable>): void {
    if (this.rows.size >= MAX_ENTRIES && !this.rows.has(row.name)) this.rows.clear();
    this.rows.set(row.name, row);
  }

  /** Found stale: the next start reads the row again. */
  forget(name: string): void {
    this.rows.delete(name);
  }
}
