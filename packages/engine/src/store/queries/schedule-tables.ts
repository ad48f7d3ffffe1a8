import type { Kysely, Selectable, Transaction } from "kysely";
import type { Tables } from "../tables.js";
import type { Db } from "./types.js";

/** The scheduler's tables (migration 0003), typed here so the store's shared `Tables` stays as it is. */
export interface SchedulesTable {
  /** `<workflow>:<name>` or `<workflow>:<index in on.schedule>`. */
  id: string;
  workflow: string;
  position: number;
  cron: string;
  timezone: string;
  inputs_json: string;
  /** allow | forbid | replace */
  concurrency: string;
  starting_deadline_ms: number | null;
  /** none | latest | all */
  catch_up: string;
  suspend_file: number;
  suspended: number;
  /** Every cron time up to and including this one has been handled (fired, skipped or missed). */
  handled_until: number;
  created_at: number;
  updated_at: number;
}

export interface ScheduleFiresTable {
  schedule_id: string;
  scheduled_at: number;
  /** cron | manual */
  kind: string;
  /** fired | skipped | missed | failed */
  status: string;
  run_id: string | null;
  reason: string | null;
  recorded_at: number;
}

export interface LeasesTable {
  name: string;
  holder: string;
  expires_at: number;
}

// A type alias, not an interface: withTables() wants an index signature, which only aliases imply.
export type ScheduleTables = {
  schedules: SchedulesTable;
  schedule_fires: ScheduleFiresTable;
  leases: LeasesTable;
};

export type ScheduleRow = Selectable<SchedulesTable>;
export type ScheduleFireRow = Selectable<ScheduleFiresTable>;

type WithSchedules = Kysely<Tables & ScheduleTables> | Transaction<Tables & ScheduleTables>;

/** The same database or transaction, with the scheduler's tables in its type. */
export function withScheduleTables(db: Db): WithSchedules {
  return db.withTables<ScheduleTables>();
}
