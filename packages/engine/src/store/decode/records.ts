import type { LinesBatch } from "@gantry/core";
import type { NotificationSpec } from "../../notify/spec.js";
import { parseColumn } from "./json-column.js";

/** An event trigger's entry as written (without its inputs). */
export function decodeTriggerConfig(row: { config_json: string }): Record<string, unknown> {
  return parseColumn<Record<string, unknown>>(row.config_json);
}

/** An audit entry's detail, when it has one. */
export function decodeAuditDetail(row: { detail_json: string | null }): Record<string, unknown> | null {
  return row.detail_json ? parseColumn<Record<string, unknown>>(row.detail_json) : null;
}

/** A queued notification's channel settings and facts. */
export function decodeNotificationSpec(row: { spec_json: string }): NotificationSpec {
  return parseColumn<NotificationSpec>(row.spec_json);
}

/** A log chunk's lines: packed (see PackedLines in core) or `[[stream, ts, text], ...]`. */
export function decodeChunkLines(row: { lines_json: string }): LinesBatch["lines"] {
  return parseColumn<LinesBatch["lines"]>(row.lines_json);
}
