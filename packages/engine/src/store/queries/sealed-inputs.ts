import type { Db } from "./types.js";

/** Runs that keep secret inputs, in id order after `afterId`: what a key rotation re-seals, a page at a time. */
export async function sealedInputsPage(
  db: Db,
  afterId: string,
  limit: number,
): Promise<Array<{ id: string; secret_inputs: string }>> {
  const rows = await db
    .selectFrom("runs")
    .select(["id", "secret_inputs"])
    .where("secret_inputs", "is not", null)
    .where("id", ">", afterId)
    .orderBy("id")
    .limit(limit)
    .execute();
  return rows as Array<{ id: string; secret_inputs: string }>;
}

/** The secret inputs of the newest run that has any: the sample a first key check opens. */
export async function newestSealedInputs(db: Db): Promise<string | undefined> {
  const row = await db
    .selectFrom("runs")
    .select("secret_inputs")
    .where("secret_inputs", "is not", null)
    .orderBy("created_at", "desc")
    .limit(1)
    .executeTakeFirst();
  return row?.secret_inputs ?? undefined;
}

/** Replaces one run's sealed inputs only if they are still `previous` (a concurrent change wins). */
export async function replaceSealedInputs(
  db: Db,
  id: string,
  previous: string,
  next: string,
): Promise<boolean> {
  const result = await db
    .updateTable("runs")
    .set({ secret_inputs: next })
    .where("id", "=", id)
    .where("secret_inputs", "=", previous)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}
