import { addMaskCommand, type Masker } from "@gantry/core";
import type { SecretBox } from "../service/secret-box.js";

/**
 * Values a step registers with `::add-mask::` stay secret for the rest of the run: the run's row keeps
 * them sealed (`runs.masked_values`, a JSON array, AES-256-GCM with the store's key), so a later step
 * on any worker, and every record of the run written after, masks them too. Never kept in clear.
 */

/** The run's add-mask values, opened in memory; none when the column is empty. */
export function openRunMasks(sealed: string | null | undefined, box: SecretBox): string[] {
  if (!sealed) return [];
  const values = JSON.parse(box.open(sealed)) as unknown;
  return Array.isArray(values) ? values.filter((v): v is string => typeof v === "string") : [];
}

/** Adds the run's add-mask values to a masker (a step's, or the one a run's record is written with). */
export function addRunMasks(masker: Masker, sealed: string | null | undefined, box: SecretBox): void {
  for (const value of openRunMasks(sealed, box)) masker.add(value);
}

/**
 * The column's new sealed value with `added` joined to what it holds; undefined when nothing is new
 * (the row is then left alone).
 */
export function sealRunMasks(
  sealed: string | null | undefined,
  added: readonly string[],
  box: SecretBox,
): string | undefined {
  const known = openRunMasks(sealed, box);
  const fresh = added.filter((v) => v !== "" && !known.includes(v));
  if (fresh.length === 0) return undefined;
  return box.seal(JSON.stringify([...known, ...new Set(fresh)]));
}

/**
 * Handles one line a step printed: an `::add-mask::VALUE` command registers VALUE with the step's masker
 * (and in `added`, to be kept with the run) and answers true, as the command itself is never logged.
 */
export function takeAddMask(line: string, masker: Masker, added: Set<string>): boolean {
  const value = addMaskCommand(line);
  if (value === undefined) return false;
  masker.add(value);
  if (value !== "") added.add(value);
  return true;
}
