import type { Db } from "./types.js";

export interface TriggerNoteRow {
  trigger_id: string;
  at: number;
  kind: "duplicate" | "unmapped";
  event_key: string | null;
  run_id: string | null;
  message: string;
}

type TriggerNotesTables = { trigger_notes: TriggerNoteRow };

/** Notes kept per trigger: the latest ones are what people look at; older ones are removed as new come. */
const KEPT_PER_TRIGGER = 200;

export async function insertTriggerNote(db: Db, note: TriggerNoteRow): Promise<void> {
  const t = db.withTables<TriggerNotesTables>();
  await t.insertInto("trigger_notes").values(note).execute();
  const cutoff = await t
    .selectFrom("trigger_notes")
    .select("at")
    .where("trigger_id", "=", note.trigger_id)
    .orderBy("at", "desc")
    .offset(KEPT_PER_TRIGGER)
    .limit(1)
    .executeTakeFirst();
  if (cutoff)
    await t
      .deleteFrom("trigger_notes")
      .where("trigger_id", "=", note.trigger_id)
      .where("at", "<=", cutoff.at)
      .execute();
}

/** A trigger's latest notes, newest first. */
export async function recentTriggerNotes(
  db: Db,
  triggerId: string,
  limit: number,
): Promise<TriggerNoteRow[]> {
  const rows = await db
    .withTables<TriggerNotesTables>()
    .selectFrom("trigger_notes")
    .selectAll()
    .where("trigger_id", "=", triggerId)
    .orderBy("at", "desc")
    .limit(limit)
    .execute();
  return rows.map((r) => ({ ...r, at: Number(r.at) }));
}
