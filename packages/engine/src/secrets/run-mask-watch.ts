import type { Masker } from "@gantry/core";
import type { SecretBox } from "../service/secret-box.js";
import type { Db } from "../store/queries/types.js";
import { openRunMasks, sealRunMasks } from "./run-masks.js";

/** Tries of a registration that lost a race with another writer of the run's masks before it gives up. */
const REGISTER_TRIES = 20;

/**
 * One running step's view of its run's `::add-mask::` values in the store (`runs.masked_values`):
 * `register` keeps a value the step printed at once, and `refresh` teaches the step's masker what the
 * run's other steps registered since, on this worker or any other, before its output is stored.
 */
export class RunMaskWatch {
  /** The sealed column as last read: unchanged means nothing new to open. */
  private seen: string | null | undefined;

  constructor(
    private readonly db: Db,
    private readonly box: SecretBox,
    private readonly runId: string,
  ) {}

  /** Adds the run's values the masker does not know yet; true when there was any. */
  async refresh(masker: Masker): Promise<boolean> {
    const row = await this.db
      .selectFrom("runs")
      .select("masked_values")
      .where("id", "=", this.runId)
      .executeTakeFirst();
    const sealed = row?.masked_values ?? null;
    if (sealed === this.seen) return false;
    this.seen = sealed;
    const known = new Set(masker.secrets());
    let learned = false;
    for (const value of openRunMasks(sealed, this.box))
      if (!known.has(value)) {
        masker.add(value);
        learned = true;
      }
    return learned;
  }

  /** Joins `values` to the run's sealed masks now (the step's result joins them again: harmless). */
  register(values: readonly string[]): Promise<void> {
    return registerRunMasks(this.db, this.box, this.runId, values);
  }
}

/**
 * Joins `values` to a run's sealed masks (`runs.masked_values`) now, for a step on a store worker or,
 * through the server, on an agent. Each write is conditional on the column being as read, so a
 * concurrent registration is never lost. The values are never in the error.
 */
export async function registerRunMasks(
  db: Db,
  box: SecretBox,
  runId: string,
  values: readonly string[],
): Promise<void> {
  for (let attempt = 0; attempt < REGISTER_TRIES; attempt++) {
    const row = await db
      .selectFrom("runs")
      .select("masked_values")
      .where("id", "=", runId)
      .executeTakeFirst();
    if (!row) return;
    const next = sealRunMasks(row.masked_values, values, box);
    if (next === undefined) return;
    const result = await db
      .updateTable("runs")
      .set({ masked_values: next })
      .where("id", "=", runId)
      .where((eb) =>
        row.masked_values === null
          ? eb("masked_values", "is", null)
          : eb("masked_values", "=", row.masked_values),
      )
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) > 0) return;
  }
  throw new Error(`could not record an ::add-mask:: value with run ${runId}: its masks kept changing`);
}
