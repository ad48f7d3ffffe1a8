import { withAuthTables } from "./auth-tables.js";
import type { Db } from "./types.js";

export interface AuditEntry {
  at: number;
  actor: string;
  actor_name: string;
  action: string;
  target: string | null;
  detail_json: string | null;
  ip: string | null;
}

export async function insertAudit(db: Db, entry: AuditEntry): Promise<void> {
  await withAuthTables(db).insertInto("audit_log").values(entry).execute();
}

/** Several entries in one statement (the API's requests answered at the same time). */
export async function insertAudits(db: Db, entries: AuditEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await withAuthTables(db).insertInto("audit_log").values(entries).execute();
}
