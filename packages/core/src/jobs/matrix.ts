import type { MatrixSpec } from "../format/job-types.js";

/** One combination of a matrix: axis name -> value. */
export type MatrixLeg = Record<string, unknown>;

/**
 * The legs of a matrix, as GitHub Actions builds them: the product of the axes in order, less every
 * combination an `exclude` entry matches (all its keys equal), then each `include` entry merged into
 * every original combination whose original axis values it does not contradict (values it added
 * before may be overwritten), or appended as a leg of its own when it fits none.
 */
export function matrixLegs(matrix: MatrixSpec): MatrixLeg[] | { error: string } {
  const { include = [], exclude = [], ...axes } = matrix;
  if (!Array.isArray(include) || !Array.isArray(exclude))
    return { error: "include and exclude must be lists of maps" };
  let legs: MatrixLeg[] = [];
  const names = Object.keys(axes);
  for (const name of names) {
    const values = axes[name];
    if (!Array.isArray(values) || values.length === 0)
      return { error: `axis '${name}' must be a non-empty list, got ${JSON.stringify(values)}` };
  }
  if (names.length > 0) {
    legs = [{}];
    for (const name of names) {
      const values = axes[name] as unknown[];
      legs = legs.flatMap((leg) => values.map((value) => ({ ...leg, [name]: value })));
    }
  }
  for (const entry of exclude) {
    if (!isMap(entry)) return { error: `exclude entries must be maps, got ${JSON.stringify(entry)}` };
    legs = legs.filter((leg) => !Object.entries(entry).every(([k, v]) => k in leg && sameValue(leg[k], v)));
  }
  const originals = legs.length;
  const axisNames = new Set(names);
  for (const entry of include) {
    if (!isMap(entry)) return { error: `include entries must be maps, got ${JSON.stringify(entry)}` };
    let merged = false;
    for (let i = 0; i < originals; i++) {
      const leg = legs[i] as MatrixLeg;
      const fits = Object.entries(entry).every(([k, v]) => !axisNames.has(k) || sameValue(leg[k], v));
      if (!fits) continue;
      legs[i] = { ...leg, ...entry };
      merged = true;
    }
    if (!merged) legs.push({ ...entry });
  }
  if (legs.length === 0) return { error: "the matrix has no combination left" };
  return legs;
}

/** A leg's name, as GitHub names a job's legs: its values in order, `18, ubuntu`. */
export function legName(leg: MatrixLeg): string {
  return Object.values(leg)
    .map((v) => (typeof v === "string" ? v : JSON.stringify(v)))
    .join(", ");
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (isMap(value))
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical(value[k])]),
    );
  return value;
}

function isMap(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
