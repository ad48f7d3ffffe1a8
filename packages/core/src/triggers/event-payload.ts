import { evaluateTemplate } from "../expressions/evaluate.js";
import type { EventTriggerKind } from "../vocabulary/triggers.js";

/**
 * An event's body as a run sees it in `trigger.payload`: parsed JSON when the text is JSON, the text
 * otherwise. A body that merely starts like JSON but does not parse stays text (a log line `[warn] …`).
 */
export function decodePayload(text: string): unknown {
  const trimmed = text.trim();
  if (trimmed === "") return text;
  const first = trimmed[0];
  const jsonish =
    first === "{" ||
    first === "[" ||
    first === '"' ||
    trimmed === "true" ||
    trimmed === "false" ||
    trimmed === "null" ||
    /^-?\d/.test(trimmed);
  if (!jsonish) return text;
  try {
    return JSON.parse(trimmed) as unknown;
  } catch {
    return text;
  }
}

/**
 * The `trigger` record of a run an event starts: its type, the trigger's id, the payload, and the
 * source's metadata (queue, routing key, headers, shard, sequence number, topic, subject, ...). The
 * metadata cannot overwrite `type`, `trigger` or `payload`.
 */
export function eventTrigger(
  type: EventTriggerKind,
  trigger: string,
  payload: unknown,
  meta: Record<string, unknown> = {},
): { type: string; trigger: string; payload: unknown; [key: string]: unknown } {
  return { ...meta, type, trigger, payload };
}

export class EventMappingError extends Error {}

/**
 * A trigger entry's `inputs:` evaluated against the event: each value may use `${{ trigger.payload.x }}`
 * (and `trigger.<metadata>`); a value that is one whole expression keeps its type. Throws
 * EventMappingError naming the input whose expression failed.
 */
export function mapEventInputs(
  mapping: Record<string, unknown> | undefined,
  trigger: Record<string, unknown>,
): Record<string, unknown> {
  return mapEventInputsReport(mapping, trigger).inputs;
}

/**
 * The same, also naming the inputs whose expression found nothing in the event (a missing payload field,
 * or a text payload where a JSON field was expected): those take their defaults, which is worth saying.
 */
export function mapEventInputsReport(
  mapping: Record<string, unknown> | undefined,
  trigger: Record<string, unknown>,
): { inputs: Record<string, unknown>; empty: string[] } {
  const inputs: Record<string, unknown> = {};
  const empty: string[] = [];
  for (const [name, template] of Object.entries(mapping ?? {})) {
    try {
      const value = evaluateTemplate(template, { contexts: { trigger } });
      // An expression that found nothing (a missing payload field) leaves the input to its default.
      if (value !== null && value !== undefined) inputs[name] = value;
      else empty.push(name);
    } catch (error) {
      throw new EventMappingError(`inputs.${name}: ${(error as Error).message}`);
    }
  }
  return { inputs, empty };
}

/** Why inputs found nothing in an event, in words for the Triggers page. */
export function emptyInputsNote(empty: string[], payload: unknown): string {
  const names = empty.map((n) => `'${n}'`).join(", ");
  const why =
    typeof payload === "string"
      ? "the payload is text, not JSON"
      : payload === null || typeof payload !== "object"
        ? "the payload is not a JSON object"
        : "the event has no such field";
  return `input${empty.length > 1 ? "s" : ""} ${names} found nothing in the event (${why}) and took ${empty.length > 1 ? "their defaults" : "its default"}`;
}
