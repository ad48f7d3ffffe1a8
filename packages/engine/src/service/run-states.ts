import type { RunState } from "@gantry/core";
import type { Selectable } from "kysely";
import type { RunsTable } from "../store/tables.js";

/** A run's state as this process wrote it last, with the run's row as written then. */
export interface WrittenRun {
  rev: number;
  state: RunState;
  /** Absent for a run's first revision kept by its creator (its row is not read back). */
  row?: Selectable<RunsTable>;
}

/**
 * The states of the runs whose steps this process planned last, each with the revision of the run's
 * header it matches (every write of a run's state counts it up). A worker that finishes a step and starts
 * the next of the same run then reads the run's small header, not every step's row: the work per step
 * stays the same however many steps the run has. A state written by another process since has another
 * revision, and is read from the store.
 */
export class RunStateCache {
  private readonly runs = new Map<string, WrittenRun>();

  constructor(private readonly limit = 64) {}

  /** Whether a state of the run is kept (at some revision): else its step rows are read with its row. */
  has(runId: string): boolean {
    return this.runs.has(runId);
  }

  /**
   * The run's state at `rev`, taken out: the caller changes it in its transaction and puts it back
   * after the commit, so a transaction rolled back leaves nothing changed behind.
   */
  take(runId: string, rev: number): RunState | undefined {
    const entry = this.runs.get(runId);
    if (!entry) return undefined;
    this.runs.delete(runId);
    return entry.rev === rev ? entry.state : undefined;
  }

  /**
   * The run's state and row as this process wrote them last, taken out whatever the run's revision is
   * now: for a write guarded by the row's header (see finishUnchanged).
   */
  takeWritten(runId: string): WrittenRun | undefined {
    const entry = this.runs.get(runId);
    this.runs.delete(runId);
    return entry;
  }

  /** Keeps a running run's state and row as committed at `rev`; an ended run's are dropped. */
  put(runId: string, rev: number, state: RunState, row?: Selectable<RunsTable>): void {
    this.runs.delete(runId);
    if (state.status !== "running") return;
    this.runs.set(runId, row ? { rev, state, row } : { rev, state });
    if (this.runs.size > this.limit) this.runs.delete(this.runs.keys().next().value as string);
  }
}
