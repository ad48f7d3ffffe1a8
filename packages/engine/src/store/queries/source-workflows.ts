import type { Db } from "./types.js";

/** The workflows registered from a source. */
export async function workflowsOfSource(db: Db, source: string): Promise<{ name: string; file: string }[]> {
  return db.selectFrom("workflows").select(["name", "file"]).where("source", "=", source).execute();
}

/** Removes a source's workflows that its new commit no longer has. */
export async function deleteWorkflows(db: Db, names: string[]): Promise<void> {
  if (names.length === 0) return;
  await db.deleteFrom("workflows").where("name", "in", names).execute();
}

/** Which source holds each of these workflow names now (to refuse a name another source owns). */
export async function ownersOf(db: Db, names: string[]): Promise<Map<string, string>> {
  if (names.length === 0) return new Map();
  const rows = await db
    .selectFrom("workflows")
    .select(["name", "source"])
    .where("name", "in", names)
    .execute();
  return new Map(rows.map((r) => [r.name, r.source]));
}
