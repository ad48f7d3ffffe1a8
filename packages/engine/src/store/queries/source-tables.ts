import type { Kysely, Selectable, Transaction } from "kysely";
import type { Tables } from "../tables.js";
import type { Db } from "./types.js";

/** Git sources' tables (migration 0004), typed here so the store's shared `Tables` stays as it is. */
export interface SourcesTable {
  name: string;
  url: string;
  ref: string;
  path: string;
  active_commit: string | null;
  activated_at: number | null;
  seen_commit: string | null;
  last_sync_at: number | null;
  /** ok | error | never */
  state: string;
  errors_json: string;
  /** JSON list of the names of the workflows the active commit registered. */
  workflows_json: string;
  updated_at: number;
}

export interface GitEventsTable {
  source: string;
  ref: string;
  sha: string;
  seen_by: string;
  recorded_at: number;
}

export interface WebhookDeliveriesTable {
  id: string;
  event: string;
  received_at: number;
}

// A type alias, not an interface: withTables() wants an index signature, which only aliases imply.
export type SourceTables = {
  sources: SourcesTable;
  git_events: GitEventsTable;
  webhook_deliveries: WebhookDeliveriesTable;
};

export type SourceRow = Selectable<SourcesTable>;

type WithSources = Kysely<Tables & SourceTables> | Transaction<Tables & SourceTables>;

/** The same database or transaction, with the sources' tables in its type. */
export function withSourceTables(db: Db): WithSources {
  return db.withTables<SourceTables>();
}
