/** Secrets shorter than this are not masked: masking "a" or "1" would shred every line and hide nothing. */
export const MIN_MASKED_LENGTH = 3;
const MASK = "***";

/**
 * Replaces every registered secret in a line by `***`, in its plain, base64 and URL-encoded forms.
 * Longer secrets are replaced first, so a secret containing another is masked whole.
 */
export class Masker {
  private readonly values = new Set<string>();
  private pattern: RegExp | undefined;

  add(secret: string): void {
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

function encodedForms(secret: string): string[] {
  const base64 = btoa(String.fromCharCode(...new TextEncoder().encode(secret)));
  return [secret, base64, base64.replace(/=+$/, ""), encodeURIComponent(secret)];
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** `::add-mask::VALUE`, the workflow command a step prints to register a value it produced as secret. */
export function addMaskCommand(line: string): string | undefined {
  const match = /^::add-mask::(.*)$/.exec(line);
  return match ? (match[1] as string).trim() : undefined;
}
