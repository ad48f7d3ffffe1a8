import { parseColumn } from "./json-column.js";

/** A job's labels (a worker must have them all), or a worker's. */
export function decodeLabels(row: { labels_json: string }): string[] {
  return parseColumn<string[]>(row.labels_json);
}

/** An API key's labels (only agent keys have them; none when the column is empty). */
export function decodeKeyLabels(row: { labels_json?: string | null }): string[] {
  return row.labels_json ? parseColumn<string[]>(row.labels_json) : [];
}

/** A source's errors from its last sync. */
export function decodeSourceErrors(row: { errors_json: string }): string[] {
  return parseColumn<string[]>(row.errors_json);
}

/** The workflows a source's active commit holds. */
export function decodeSourceWorkflows(row: { workflows_json: string }): string[] {
  return parseColumn<string[]>(row.workflows_json);
}

/** A session's OIDC groups; none for a session older than the column. */
export function decodeGroups(row: { groups_json?: string | null }): string[] {
  return row.groups_json ? parseColumn<string[]>(row.groups_json) : [];
}
