/**
 * Whether an error came from the database (connection lost, deadlock: try again later) rather than from
 * the operation itself (bad inputs, unknown workflow: record it as failed). Postgres and SQLite errors
 * carry a `code`; the service's own errors do not.
 */
export function isDatabaseError(error: unknown): boolean {
  return error instanceof Error && typeof (error as { code?: unknown }).code === "string";
}

/** A primary key or unique constraint violation (Postgres 23505, SQLite SQLITE_CONSTRAINT_*). */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === "23505" || code === "SQLITE_CONSTRAINT_PRIMARYKEY" || code === "SQLITE_CONSTRAINT_UNIQUE";
}
