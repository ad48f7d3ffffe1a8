/**
 * Size limits of what routes take from the URL (path parameters, query strings): every input has one,
 * and hardening/input-limits.test.ts fails on a route whose schema leaves a string or a list unbounded.
 * Generous for real values (ids are UUIDs, names are short), tight enough that a query costs nothing.
 */

/** A run's, schedule's, trigger's or key's id. */
export const ID_LENGTH = 100;
/** A workflow's, source's, step's, hook's or input's name; a filter on one. */
export const NAME_LENGTH = 200;
/** An opaque paging cursor (next_cursor of the previous page). */
export const CURSOR_LENGTH = 300;
/** A path inside Gantry to return to after signing in. */
export const RETURN_PATH_LENGTH = 2048;

/** `{ id }` as path parameters. */
export const idParams = {
  type: "object",
  properties: { id: { type: "string", maxLength: ID_LENGTH } },
  required: ["id"],
} as const;

/** `{ name }` as path parameters. */
export const nameParams = {
  type: "object",
  properties: { name: { type: "string", maxLength: NAME_LENGTH } },
  required: ["name"],
} as const;
