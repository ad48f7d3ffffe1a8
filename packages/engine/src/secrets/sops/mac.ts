import type { SopsLeaf } from "./types.js";

/**
 * The bytes sops hashes for a leaf: Go's `ToBytes`. Strings and bytes as they are, ints in decimal, floats as
 * strconv.FormatFloat(f, 'f', -1, 64) (shortest round-trip digits, never an exponent), bools as Python's
 * "True"/"False" (sops began as a Python tool and kept its MAC input).
 */
export function macBytes(value: SopsLeaf): Buffer {
  if (typeof value === "string") return Buffer.from(value, "utf8");
  if (value instanceof Uint8Array) return Buffer.from(value);
  if (typeof value === "boolean") return Buffer.from(value ? "True" : "False");
  return Buffer.from(goFormatFloat(value));
}

/** strconv.FormatFloat(n, 'f', -1, 64). For integers this is also what strconv.Itoa gives. */
export function goFormatFloat(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (n === Number.POSITIVE_INFINITY) return "+Inf";
  if (n === Number.NEGATIVE_INFINITY) return "-Inf";
  if (Object.is(n, -0)) return "-0";
  const text = String(n); // JS also prints the shortest round-trip digits, but switches to e-notation
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(text);
  if (!m) return text;
  const [, sign, first, rest = "", exp] = m;
  const digits = first! + rest;
  const point = 1 + Number(exp);
  if (point <= 0) return `${sign}0.${"0".repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${"0".repeat(point - digits.length)}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}
