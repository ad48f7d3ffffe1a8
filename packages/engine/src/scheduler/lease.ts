import type { Database } from "../store/database.js";
import { acquireLease } from "../store/queries/schedule-lease.js";
import { releaseLease } from "../store/queries/schedule-lease-release.js";

/** The lease state after an attempt to take or renew it. */
export interface LeaseState {
  holder: string;
  expiresAt: number;
}

/** A singleton's leadership. I/O sits behind this so the scheduler's loop is tested with fakes too. */
export interface LeaseLike {
  /** Takes the lease when it is free, expired or ours (then renews it until `expiresAt`). */
  acquire(holder: string, now: number, expiresAt: number): Promise<LeaseState>;
  release(holder: string): Promise<void>;
}

/**
 * A row in `leases`, taken with one atomic UPSERT … WHERE expired OR ours. Servers compare their own
 * clocks with `expires_at`: keep them in sync (NTP) to well under the lease time.
 */
export class TableLease implements LeaseLike {
  constructor(
    private readonly database: Database,
    private readonly name: string,
  ) {}

  async acquire(holder: string, now: number, expiresAt: number): Promise<LeaseState> {
    const lease = await acquireLease(this.database.db, this.name, holder, now, expiresAt);
    return { holder: lease.holder, expiresAt: lease.expires_at };
  }

  async release(holder: string): Promise<void> {
    await releaseLease(this.database.db, this.name, holder);
  }
}

/** Embedded SQLite has one process: its scheduler leads, with no round trip to find that out. */
export class LocalLease implements LeaseLike {
  async acquire(holder: string, _now: number, expiresAt: number): Promise<LeaseState> {
    return { holder, expiresAt };
  }

  async release(): Promise<void> {}
}

export const SCHEDULER_LEASE = "scheduler";

export function defaultLease(database: Database): LeaseLike {
  return database.dialect === "postgres" ? new TableLease(database, SCHEDULER_LEASE) : new LocalLease();
}
