import type { Db } from "./types.js";

/**
 * The run columns that hold values sealed with the deployment's key: secret inputs typed at run start,
 * and the values steps registered with `::add-mask::`. A key rotation re-seals both.
 */
export const SEALED_RUN_COLUMNS = ["secret_inputs", "masked_values"] as const;
export type SealedRunColumn = (typeof SEALED_RUN_COLUMNS)[number];

/** Runs with a value in `column`, in id order after `afterId`: what a key rotation re-seals, a page at a time. */
export async function sealedValuesPage(
  db: Db,
  column: SealedRunColumn,
  afterId: string,
  limit: number,
): Promise<Array<{ id: string; sealed: string }>> {
  const rows = await db
    .selectFrom("runs")
    .select(["id", `${column} as sealed`])
    .where(column, "is not", null)
    .where("id", ">", afterId)
    .orderBy("id")
    .limit(limit)
    .execute();
  return rows as Array<{ id: string; sealed: string }>;
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

/** Replaces one run's sealed value in `column` only if it is still `previous` (a concurrent change wins). */
export async function replaceSealedValue(
  db: Db,
  id: string,
  column: SealedRunColumn,
  previous: string,
  next: string,
): Promise<boolean> {
  const result = await db
    .updateTable("runs")
    .set({ [column]: next })
    .where("id", "=", id)
    .where(column, "=", previous)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}
