const BINARY: Record<string, number> = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };
const DECIMAL: Record<string, number> = { k: 1e3, m: 1e6, g: 1e9, t: 1e12 };

/**
 * Bytes from a memory limit: a number of bytes, `512m`/`1g` (binary, as `docker run --memory` reads
 * them), `2Gi` (Kubernetes binary) or `2G` (Kubernetes decimal, also accepted as `2gb`).
 */
export function parseMemory(value: number | string): number {
  if (typeof value === "number") return Math.floor(value);
  const match = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(i?)(b?)$/i.exec(value.trim());
  if (!match) throw new Error(`memory '${value}': use bytes or e.g. 512m, 2g, 2Gi`);
  const [, number, unit = "", binary, b] = match;
  const lower = unit.toLowerCase();
  // `2G` (upper case, no i, no b) is decimal in Kubernetes; docker's lower-case units are binary.
  const decimal = unit !== "" && unit === unit.toUpperCase() && !binary && !b;
  const factor = decimal ? (DECIMAL[lower] as number) : (BINARY[lower] as number);
  return Math.floor(Number(number) * factor);
}

/** CPUs from `1.5`, `"1.5"` or `"500m"` (millicores). */
export function parseCpus(value: number | string): number {
  if (typeof value === "number") return value;
  const match = /^(\d+(?:\.\d+)?)(m?)$/.exec(value.trim());
  if (!match) throw new Error(`cpus '${value}': use e.g. 1.5 or 500m`);
  return match[2] ? Number(match[1]) / 1000 : Number(match[1]);
}
