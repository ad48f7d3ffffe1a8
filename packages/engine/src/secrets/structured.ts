import { ProviderError } from "./errors.js";
import type { ProviderValue, ValueFormat } from "./provider.js";

// Parsers quote their input in error messages (V8: `Unexpected token 'h', "hunter2" is not valid JSON`; yaml
// prints the offending line). That input is a secret here, so these wrappers report a position, never text.

export function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new ProviderError("format", `${what} is not valid JSON`);
  }
}

type Yaml = typeof import("yaml");

/**
 * yaml, loaded on first use: the secrets module must cost nothing at start-up. In the bundled CLI a lazily
 * imported CommonJS library arrives as `{ default: exports }`, without its named exports.
 */
async function loadYaml(): Promise<Yaml> {
  const loaded = (await import("yaml")) as Yaml & { default?: Yaml };
  return typeof loaded.parseDocument === "function" ? loaded : (loaded.default as Yaml);
}

export async function parseYaml(text: string, what: string): Promise<unknown> {
  const { parseDocument } = await loadYaml();
  const doc = parseDocument(text, { prettyErrors: false });
  const error = doc.errors[0];
  if (error) {
    const at = error.linePos?.[0];
    const where = at ? ` at line ${at.line}, column ${at.col}` : "";
    throw new ProviderError("format", `${what} is not valid YAML${where} (${error.code})`);
  }
  return doc.toJS();
}

/**
 * The data a pointer walks into. Strings and bytes from providers that store text (env, awssecrets,
 * gcpsecrets, plain files) are parsed as JSON, or YAML (a superset), the way vals does.
 */
export async function structuredValue(pv: ProviderValue): Promise<unknown> {
  let { value } = pv;
  if (value instanceof Uint8Array) value = Buffer.from(value).toString("utf8");
  if (typeof value !== "string") return value;
  try {
    return JSON.parse(value);
  } catch {
    return parseYaml(value, "the secret");
  }
}

/**
 * A value as the string a caller puts into an environment variable or a template. Scalars are written plainly;
 * maps and lists in the format they came from (JSON for values that were parsed from text).
 */
export async function stringifyValue(value: unknown, format: ValueFormat): Promise<string> {
  if (typeof value === "string") return value;
  if (value === null || value === undefined) return "";
  if (value instanceof Uint8Array) return Buffer.from(value).toString("utf8");
  if (typeof value !== "object") return String(value);
  if (format === "yaml") {
    const { stringify } = await loadYaml();
    return stringify(value, { lineWidth: 0 });
  }
  if (format === "dotenv" && isFlat(value)) {
    return Object.entries(value)
      .map(([k, v]) => `${k}=${scalarText(v).replaceAll("\n", "\\n")}\n`)
      .join("");
  }
  if (format === "ini" && !Array.isArray(value)) return iniText(value as Record<string, unknown>);
  return `${JSON.stringify(value, bytesAsText, 2)}\n`;
}

function isFlat(value: object): value is Record<string, unknown> {
  return !Array.isArray(value) && Object.values(value).every((v) => v === null || typeof v !== "object");
}

function scalarText(value: unknown): string {
  if (value instanceof Uint8Array) return Buffer.from(value).toString("utf8");
  return value === null || value === undefined ? "" : String(value);
}

function iniText(value: Record<string, unknown>): string {
  if (isFlat(value))
    return Object.entries(value)
      .map(([k, v]) => `${k} = ${scalarText(v)}\n`)
      .join("");
  return Object.entries(value)
    .map(([section, keys]) => `[${section}]\n${iniText((keys ?? {}) as Record<string, unknown>)}`)
    .join("\n");
}

/** A JSON.stringify replacer that writes bytes as text, as sops writes them. */
export function bytesAsText(_key: string, value: unknown): unknown {
  // Buffer.toJSON runs before the replacer sees it; both shapes become text, as sops writes bytes.
  if (value instanceof Uint8Array) return Buffer.from(value).toString("utf8");
  if (isBufferJson(value)) return Buffer.from(value.data).toString("utf8");
  return value;
}

function isBufferJson(value: unknown): value is { type: "Buffer"; data: number[] } {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as { type?: unknown }).type === "Buffer" &&
    Array.isArray((value as { data?: unknown }).data)
  );
}
