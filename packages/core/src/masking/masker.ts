/** Secrets shorter than this are not masked: masking "a" or "1" would shred every line and hide nothing. */
export const MIN_MASKED_LENGTH = 3;
const MASK = "***";

/**
 * Replaces every registered secret in a text by `***`, in each form a program is likely to print it:
 * plain; base64 at each of the three byte alignments (a secret inside a longer encoded text); URL-encoded
 * as JavaScript, RFC 3986 (Python's quote) and HTML forms (quote_plus) write it; JSON-string escaped
 * (also with non-ASCII as \uXXXX, Python's default); and each line of a multi-line secret.
 * Longer forms are replaced first, so a secret containing another is masked whole.
 */
export class Masker {
  private readonly values = new Set<string>();
  private readonly raw = new Set<string>();
  private pattern: RegExp | undefined;

  add(secret: string): void {
    if (this.raw.has(secret)) return;
    this.raw.add(secret);
    // Logs are masked a line at a time, so each line of a multi-line secret (a PEM key) is a secret too.
    if (secret.includes("\n")) {
      for (const line of secret.split(/\r?\n/)) this.add(line.trim());
    }
    // The length rule is about the secret: a 2-character secret's base64 form ("YWI=") is long enough to
    // pass it, but masking it hides nothing and would cut into unrelated base64 in the logs.
    if (secret.length < MIN_MASKED_LENGTH) return;
    for (const form of encodedForms(secret)) {
      if (form.length >= MIN_MASKED_LENGTH && !this.values.has(form)) {
        this.values.add(form);
        this.pattern = undefined;
      }
    }
  }

  /** Adds every secret another masker holds. */
  addAll(other: Masker): void {
    for (const secret of other.raw) this.add(secret);
  }

  /** The secrets as added (not their encodings), to hand to another masker. */
  secrets(): string[] {
    return [...this.raw];
  }

  get size(): number {
    return this.values.size;
  }

  mask(text: string): string {
    if (this.values.size === 0) return text;
    this.pattern ??= new RegExp(
      [...this.values]
        .sort((a, b) => b.length - a.length)
        .map(escapeRegExp)
        .join("|"),
      "g",
    );
    return text.replace(this.pattern, MASK);
  }
}

/** Base64 of the secret's bytes when they start at byte offset 0, 1 or 2 of a longer encoded text. */
function base64Forms(bytes: Uint8Array): string[] {
  const forms: string[] = [];
  for (const offset of [0, 1, 2]) {
    const padded = new Uint8Array(offset + bytes.length);
    padded.set(bytes, offset);
    const encoded = btoa(String.fromCharCode(...padded));
    // Characters that mix bits of the unknown neighbours are cut: 0, 2 or 3 at the start…
    const start = [0, 2, 3][offset] as number;
    // …and, at the end, those that take bits from the byte after the secret.
    const total = padded.length;
    const full = Math.floor(total / 3) * 4;
    const rest = total % 3;
    const end = full + (rest === 0 ? 0 : rest === 1 ? 1 : 2);
    const form = encoded.slice(start, end);
    if (form.length >= 4) forms.push(form);
  }
  const whole = btoa(String.fromCharCode(...bytes));
  forms.push(whole, whole.replace(/=+$/, ""));
  return forms;
}

function encodedForms(secret: string): string[] {
  const bytes = new TextEncoder().encode(secret);
  const component = encodeURIComponent(secret);
  const rfc3986 = component.replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const json = JSON.stringify(secret).slice(1, -1);
  const asciiJson = json.replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
  return [
    secret,
    ...base64Forms(bytes),
    component,
    rfc3986,
    rfc3986.replace(/%2F/g, "/"),
    rfc3986.replace(/%20/g, "+"),
    component.replace(/%20/g, "+"),
    json,
    asciiJson,
  ];
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** `::add-mask::VALUE`, the workflow command a step prints to register a value it produced as secret. */
export function addMaskCommand(line: string): string | undefined {
  const match = /^::add-mask::(.*)$/.exec(line);
  return match ? (match[1] as string).trim() : undefined;
}

/** A copy of a JSON value with every string masked (keys are left alone: they are the author's names). */
export function maskDeep<T>(value: T, masker: Masker): T {
  if (masker.size === 0) return value;
  if (typeof value === "string") return masker.mask(value) as T;
  if (Array.isArray(value)) return value.map((v) => maskDeep(v, masker)) as T;
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskDeep(v, masker)])) as T;
  }
  return value;
}
