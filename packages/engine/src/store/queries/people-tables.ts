import type { Kysely, Selectable, Transaction } from "kysely";
import type { Tables } from "../tables.js";
import type { Db } from "./types.js";

/** Deployments and notifications (migration 0013), typed here so the store's shared `Tables` stays as it is. */
export interface DeploymentsTable {
  id: string;
  environment: string;
  run_id: string;
  step: string;
  workflow: string;
  commit_sha: string | null;
  url: string | null;
  inputs_json: string;
  /** Who approved it (name), null when the environment needs no approval. */
  approved_by: string | null;
  /** Who started the run (trigger.actor_name or the trigger type). */
  started_by: string | null;
  created_at: number;
}

export interface NotificationsTable {
  id: string;
  run_id: string;
  event: string;
  channel: string;
  target: string;
  spec_json: string;
  status: string;
  attempts: number;
  next_at: number;
  last_error: string | null;
  created_at: number;
  sent_at: number | null;
}

export type PeopleTables = { deployments: DeploymentsTable; notifications: NotificationsTable };
export type DeploymentRow = Selectable<DeploymentsTable>;
export type NotificationRow = Selectable<NotificationsTable>;

type WithPeople = Kysely<Tables & PeopleTables> | Transaction<Tables & PeopleTables>;

export function withPeopleTables(db: Db): WithPeople {
  return db.withTables<PeopleTables>();
}
