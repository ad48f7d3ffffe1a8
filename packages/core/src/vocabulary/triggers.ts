/** What starts runs: the event triggers listened for, and every `trigger.type` a run records. */

/** The event triggers Gantry listens for, as named under `on:` in a workflow. */
export const EVENT_TRIGGER_KINDS = ["rabbitmq", "kinesis", "postgres", "mqtt", "nats", "workflow"] as const;
export type EventTriggerKind = (typeof EVENT_TRIGGER_KINDS)[number];

/**
 * A run's `trigger.type`: `ui` (the web UI) and `api` (other API clients) for runs started by hand,
 * `manual` (a run started without a trigger, as `gantry run` does), `schedule`, `github` (push and
 * pull_request), `webhook`, each event trigger kind, `workflow_call` (a sub-workflow's child run) and
 * `options` (a run computing an input's options).
 */
export const RUN_TRIGGER_TYPES = [
  "ui",
  "api",
  "manual",
  "schedule",
  "github",
  "webhook",
  ...EVENT_TRIGGER_KINDS,
  "workflow_call",
  "options",
] as const;
export type RunTriggerType = (typeof RUN_TRIGGER_TYPES)[number];
