import type { Database } from "@gantry/engine";
import { sql } from "kysely";

/** Where a server or worker process is in its life, as its probes report it. */
export type ProcessPhase = "starting" | "waiting for the database schema" | "running" | "stopping";

export interface Readiness {
  ready: boolean;
  /** Why not, in words safe to show anyone (no error text from the database: that goes to the log). */
  reason?: string;
}

/**
 * Liveness and readiness of one process. Live while it answers; ready while it is `running`, its
 * database answers and each extra check (a worker's state) passes. A change of readiness is logged once,
 * with the database's own error, so the probes can stay terse.
 */
export class ProcessHealth {
  phase: ProcessPhase = "starting";
  database: Database | undefined;
  private readonly checks: Array<() => string | undefined> = [];
  private said: string | undefined = "";

  constructor(private readonly log: (line: string) => void = () => {}) {}

  /** A check that returns why the process is not ready, or undefined. */
  addCheck(check: () => string | undefined): void {
    this.checks.push(check);
  }

  async readiness(): Promise<Readiness> {
    const result = await this.evaluate();
    const key = result.ready ? undefined : result.reason;
    if (key !== this.said && this.phase === "running") {
      this.log(result.ready ? "ready" : `not ready: ${result.detail ?? result.reason}`);
      this.said = key;
    }
    return result.ready ? { ready: true } : { ready: false, reason: result.reason as string };
  }

  private async evaluate(): Promise<Readiness & { detail?: string }> {
    if (this.phase !== "running") return { ready: false, reason: this.phase };
    for (const check of this.checks) {
      const reason = check();
      if (reason) return { ready: false, reason };
    }
    if (!this.database) return { ready: true };
    try {
      await sql`select 1`.execute(this.database.db);
      return { ready: true };
    } catch (error) {
      return {
        ready: false,
        reason: "database unreachable",
        detail: `database: ${(error as Error).message}`,
      };
    }
  }
}
