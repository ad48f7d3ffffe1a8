/** Names in the output: workflow names and file names, step ids, input names. */

/** A workflow or file name: lower case letters, digits and dashes. */
export function slug(text: string): string {
  const s = text
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
  return s || "workflow";
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** A step, input or output id (Gantry's identifier pattern), as close to `text` as it allows. */
export function identifier(text: string): string {
  if (IDENTIFIER.test(text)) return text;
  const s = text.replace(/[^A-Za-z0-9_-]+/g, "_").replace(/^_+(?=.)|_+$/g, "");
  if (!s) return "step";
  return /^[A-Za-z_]/.test(s) ? s : `_${s}`;
}

/** `base`, or `base-2`, `base-3`… whichever is not in `used` yet; the result is added to `used`. */
export function unique(base: string, used: Set<string>, separator = "-"): string {
  let name = base;
  for (let n = 2; used.has(name); n++) name = `${base}${separator}${n}`;
  used.add(name);
  return name;
}
