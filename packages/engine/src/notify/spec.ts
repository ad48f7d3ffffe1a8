import type { NotifyEntry, NotifyEvent } from "@gantry/core";

/** What a message says about its run: fixed when the event happens, so a later change does not alter it. */
export interface NotificationFacts {
  event: NotifyEvent;
  run_id: string;
  workflow: string;
  trigger: string;
  status: string;
  attempt: number;
  started_at: number | null;
  /** When the event happened (ms since the epoch). */
  at: number;
  failed_step?: string;
  error?: string;
  /** For approval_required: the steps waiting, and their messages. */
  approvals?: Array<{ step: string; message?: string; environment?: string }>;
}

/** One queued message's spec_json: the channel's settings as written, and the facts. */
export interface NotificationSpec {
  entry: Omit<NotifyEntry, "on">;
  facts: NotificationFacts;
}
