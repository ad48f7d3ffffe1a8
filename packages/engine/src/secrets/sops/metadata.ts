import { ProviderError } from "../errors.js";

export interface AgeStanza {
  recipient: string;
  enc: string;
}
export interface PgpStanza {
  fp: string;
  enc: string;
}

/** The parts of a file's `sops` block that decryption needs. */
export interface SopsMetadata {
  lastModified: string;
  mac?: string;
  macOnlyEncrypted: boolean;
  /** Decides which leaves are encrypted from their key path (exactly one rule is set). */
  shouldEncrypt: (path: readonly string[]) => boolean;
  age: AgeStanza[];
  pgp: PgpStanza[];
  /** Key services present in the file that this decryptor cannot use (kms, gcp_kms, ...), for error messages. */
  unsupported: string[];
}

const UNSUPPORTED = ["kms", "gcp_kms", "azure_kv", "hc_vault", "hckms"];

export function readMetadata(raw: Record<string, unknown>, file: string): SopsMetadata {
  const lastModified = raw.lastmodified;
  if (typeof lastModified !== "string") {
    throw new ProviderError("format", `${file} has no sops.lastmodified: is it a sops file?`);
  }
  let groups = [raw];
  if (Array.isArray(raw.key_groups) && raw.key_groups.length > 0) {
    // sops splits the data key with Shamir's scheme only across several groups; one group holds it whole.
    if (raw.key_groups.length > 1) {
      throw new ProviderError(
        "no-key",
        `${file} splits its data key over ${raw.key_groups.length} key groups (Shamir), which is not supported`,
      );
    }
    groups = raw.key_groups.filter(isRecord);
  }
  const entries = (key: string) =>
    groups.flatMap((g) => (Array.isArray(g[key]) ? g[key].filter(isRecord) : []));
  return {
    lastModified,
    mac: typeof raw.mac === "string" ? raw.mac : undefined,
    macOnlyEncrypted: raw.mac_only_encrypted === true || raw.mac_only_encrypted === "true",
    shouldEncrypt: encryptionRule(raw, file),
    age: entries("age").map((e) => ({ recipient: String(e.recipient ?? ""), enc: String(e.enc ?? "") })),
    pgp: entries("pgp").map((e) => ({ fp: String(e.fp ?? ""), enc: String(e.enc ?? "") })),
    unsupported: UNSUPPORTED.filter((k) => entries(k).length > 0),
  };
}

/**
 * sops' rule for which leaves are encrypted (Tree.Decrypt): a leaf is encrypted unless a key on its path ends
 * with unencrypted_suffix / matches unencrypted_regex; with encrypted_suffix / encrypted_regex only matching
 * paths are. Files that name no rule get sops' default, unencrypted_suffix "_unencrypted". Go's regexp.Match is
 * an unanchored search, as RegExp.test is; RE2 syntax is close to a subset of JS's.
 */
function encryptionRule(raw: Record<string, unknown>, file: string): (path: readonly string[]) => boolean {
  const rules = ["unencrypted_suffix", "encrypted_suffix", "unencrypted_regex", "encrypted_regex"].filter(
    (k) => typeof raw[k] === "string" && raw[k] !== "",
  );
  if (rules.length > 1)
    throw new ProviderError("format", `${file} sets more than one of ${rules.join(", ")}`);
  const rule = rules[0] ?? "unencrypted_suffix";
  const setting = rules[0] ? String(raw[rule]) : "_unencrypted";
  let match: (key: string) => boolean;
  if (rule.endsWith("suffix")) match = (key) => key.endsWith(setting);
  else {
    let re: RegExp;
    try {
      re = new RegExp(setting);
    } catch {
      throw new ProviderError("format", `${file} has a ${rule} that is not a valid regular expression`);
    }
    match = (key) => re.test(key);
  }
  const encryptOnMatch = !rule.startsWith("unencrypted");
  return (path) => (path.some(match) ? encryptOnMatch : !encryptOnMatch);
}

/**
 * dotenv and INI have no nesting, so sops flattens its metadata into keys like `pgp__list_0__map_enc`
 * (stores/flatten.go). This rebuilds the nested object.
 */
export function unflatten(flat: Record<string, string>): Record<string, unknown> {
  // Null-prototype maps: a key named __proto__ in the file must stay a key.
  const root: Record<string, unknown> = Object.create(null);
  for (const [flatKey, value] of Object.entries(flat)) {
    const parts = flatKey.split(/__(list|map)_/);
    // parts: [key, "list"|"map", token, "list"|"map", token, ...]
    let node: Record<string, unknown> | unknown[] = root;
    let key: string | number = parts[0]!;
    for (let i = 1; i < parts.length; i += 2) {
      const isList = parts[i] === "list";
      const existing: unknown = (node as Record<string | number, unknown>)[key];
      const child = existing ?? (isList ? [] : Object.create(null));
      (node as Record<string | number, unknown>)[key] = child;
      node = child as Record<string, unknown> | unknown[];
      key = isList ? Number(parts[i + 1]) : parts[i + 1]!;
    }
    (node as Record<string | number, unknown>)[key] = value;
  }
  return root;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
