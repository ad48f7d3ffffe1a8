import type { Kysely, Selectable, Transaction } from "kysely";
import type { Tables } from "../tables.js";
import type { Db } from "./types.js";

/** The event triggers' tables (migration 0008), typed here so the store's shared `Tables` stays as it is. */
export interface TriggersTable {
  /** `<workflow>:<kind>:<name>` or `<workflow>:<kind>:<index>`. */
  id: string;
  workflow: string;
  kind: string;
  position: number;
  config_json: string;
  inputs_json: string;
  created_at: number;
  updated_at: number;
  state: string;
  holder: string | null;
  connected_at: number | null;
  last_event_at: number | null;
  last_run_id: string | null;
  last_error: string | null;
  last_error_at: number | null;
  events: number;
  failures: number;
  state_at: number;
}

export interface TriggerEventsTable {
  trigger_id: string;
  event_key: string;
  status: string;
  run_id: string | null;
  error: string | null;
  received_at: number;
}

export interface TriggerCheckpointsTable {
  trigger_id: string;
  name: string;
  value: string;
  updated_at: number;
}

// A type alias, not an interface: withTables() wants an index signature, which only aliases imply.
export type TriggerTables = {
  triggers: TriggersTable;
  trigger_events: TriggerEventsTable;
  trigger_checkpoints: TriggerCheckpointsTable;
};

export type TriggerRow = Selectable<TriggersTable>;
export type TriggerEventRow = Selectable<TriggerEventsTable>;

type WithTriggers = Kysely<Tables & TriggerTables> | Transaction<Tables & TriggerTables>;

/** The same database or transaction, with the triggers' tables in its type. */
export function withTriggerTables(db: Db): WithTriggers {
  return db.withTables<TriggerTables>();
}
