import { type AuditRow, withAuthTables } from "./auth-tables.js";
import type { Db } from "./types.js";

/** Audit entries, newest first; `before` pages by id (exclusive). */
export async function listAudit(
  db: Db,
  options: { limit: number; before?: number; action?: string; actor?: string },
): Promise<AuditRow[]> {
  let query = withAuthTables(db)
    .selectFrom("audit_log")
    .selectAll()
    .orderBy("id", "desc")
    .limit(options.limit);
  if (options.before !== undefined) query = query.where("id", "<", options.before);
  if (options.action !== undefined) query = query.where("action", "=", options.action);
  if (options.actor !== undefined) query = query.where("actor", "=", options.actor);
  return (await query.execute()).map((r) => ({ ...r, id: Number(r.id), at: Number(r.at) }));
}
