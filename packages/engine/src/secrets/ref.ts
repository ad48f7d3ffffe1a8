import { SecretError } from "./errors.js";
import { parsePointer } from "./pointer.js";

/**
 * A parsed helmfile/vals reference: `ref+<provider>://<path>[?params][#/json/pointer]`.
 * A reference is always a whole string value; vals' `...+` form for references embedded in longer strings is
 * not supported, so `"x ref+env://A"` is a plain string.
 */
export interface SecretRef {
  /** The reference exactly as written. */
  readonly raw: string;
  readonly provider: string;
  /** Percent-decoded, as vals (Go's url.Parse) decodes it. */
  readonly path: string;
  readonly params: Readonly<Record<string, string>>;
  /** RFC 6901 pointer, already percent-decoded from the fragment; "" selects the whole value. */
  readonly pointer: string;
}

const PREFIX = /^ref\+([a-z][a-z0-9_-]*):\/\//;

/** True when the string has the shape of a reference. Malformed ones still count, so they fail loudly later. */
export function isSecretRef(value: unknown): value is string {
  return typeof value === "string" && PREFIX.test(value);
}

/** Parses a reference; throws SecretError("invalid-ref") saying what is wrong. */
export function parseSecretRef(raw: string): SecretRef {
  const prefix = PREFIX.exec(raw);
  if (!prefix) {
    throw new SecretError(raw, "invalid-ref", "not a secret reference (expected ref+<provider>://<path>)");
  }
  const provider = prefix[1]!;
  let rest = raw.slice(prefix[0].length);
  let fragment: string | undefined;
  const hash = rest.indexOf("#");
  if (hash >= 0) {
    fragment = rest.slice(hash + 1);
    rest = rest.slice(0, hash);
  }
  let query = "";
  const question = rest.indexOf("?");
  if (question >= 0) {
    query = rest.slice(question + 1);
    rest = rest.slice(0, question);
  }
  const path = decode(raw, rest, "path");
  if (path === "") throw new SecretError(raw, "invalid-ref", "the path after :// is empty");

  const params: Record<string, string> = {};
  for (const part of query.split("&")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    const key = decode(raw, eq >= 0 ? part.slice(0, eq) : part, "parameter name");
    const value = eq >= 0 ? decode(raw, part.slice(eq + 1), `parameter ${key}`) : "";
    if (key === "") throw new SecretError(raw, "invalid-ref", "a query parameter has no name");
    if (Object.hasOwn(params, key))
      throw new SecretError(raw, "invalid-ref", `parameter ${key} is given twice`);
    params[key] = value;
  }

  let pointer = "";
  if (fragment !== undefined && fragment !== "") {
    pointer = decode(raw, fragment, "fragment");
    try {
      parsePointer(pointer);
    } catch (err) {
      throw new SecretError(raw, "invalid-ref", (err as Error).message);
    }
  }
  return { raw, provider, path, params, pointer };
}

function decode(raw: string, text: string, what: string): string {
  // `+` stays a plus: these are URI components, not form data.
  if (!text.includes("%")) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    throw new SecretError(raw, "invalid-ref", `the ${what} has a malformed %-escape`);
  }
}

/** Where a reference was found inside a value: keys and list indices from the root. */
export interface FoundRef {
  ref: string;
  at: (string | number)[];
}

/** Every string that is a reference inside a plain value (objects, arrays), in document order. */
export function findSecretRefs(value: unknown): FoundRef[] {
  const found: FoundRef[] = [];
  const walk = (node: unknown, at: (string | number)[]): void => {
    if (isSecretRef(node)) found.push({ ref: node, at });
    else if (Array.isArray(node)) {
      for (const [i, item] of node.entries()) walk(item, [...at, i]);
    } else if (node !== null && typeof node === "object" && !ArrayBuffer.isView(node)) {
      for (const [key, item] of Object.entries(node)) walk(item, [...at, key]);
    }
  };
  walk(value, []);
  return found;
}
