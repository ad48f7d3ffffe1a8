import { createHmac, timingSafeEqual } from "node:crypto";
import { appendFile, readFile } from "node:fs/promises";
import { blobType } from "./host-key.js";

/**
 * OpenSSH's known_hosts file (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"): `[marker] hosts keytype base64`,
 * hosts being comma-separated names or patterns (`*`, `?`, `!negated`, `[host]:port`), or one hashed
 * name `|1|salt|hmac-sha1` as `HashKnownHosts yes` (Debian's default) writes them.
 * `@revoked` keys are refused; `@cert-authority` lines are skipped: host certificates are not supported.
 */
export interface KnownHostEntry {
  marker?: "revoked" | "cert-authority";
  hosts: string;
  type: string;
  blob: Buffer;
  line: number;
}

export function parseKnownHosts(text: string): { entries: KnownHostEntry[]; problems: string[] } {
  const entries: KnownHostEntry[] = [];
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const fields = line.split(/\s+/);
    let marker: KnownHostEntry["marker"];
    if (fields[0]?.startsWith("@")) {
      const name = (fields.shift() as string).slice(1);
      if (name !== "revoked" && name !== "cert-authority") {
        problems.push(`line ${index + 1}: unknown marker '@${name}'`);
        return;
      }
      marker = name;
    }
    const [hosts, type, data] = fields;
    if (!hosts || !type || !data) {
      problems.push(`line ${index + 1}: expected 'hosts keytype base64-key'`);
      return;
    }
    const blob = Buffer.from(data, "base64");
    if (blobType(blob) !== type) {
      problems.push(`line ${index + 1}: the key is not a valid '${type}' key`);
      return;
    }
    entries.push({ ...(marker ? { marker } : {}), hosts, type, blob, line: index + 1 });
  });
  return { entries, problems };
}

/** The name a host is recorded under: `host` on port 22, `[host]:port` elsewhere, as ssh writes it. */
export function knownHostName(host: string, port: number): string {
  const lower = host.toLowerCase();
  return port === 22 ? lower : `[${lower}]:${port}`;
}

/** Whether an entry's host field names this host (hashed, or a pattern list with negations). */
export function entryMatches(hosts: string, name: string): boolean {
  if (hosts.startsWith("|1|")) {
    const [, , salt, hash] = hosts.split("|");
    if (!salt || !hash) return false;
    const expected = Buffer.from(hash, "base64");
    const actual = createHmac("sha1", Buffer.from(salt, "base64")).update(name).digest();
    return expected.length === actual.length && timingSafeEqual(expected, actual);
  }
  let matched = false;
  for (const pattern of hosts.split(",")) {
    const negated = pattern.startsWith("!");
    if (globMatch(negated ? pattern.slice(1) : pattern, name)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

/** The keys recorded for a host, and those revoked anywhere in the file. */
export function keysFor(
  entries: readonly KnownHostEntry[],
  host: string,
  port: number,
): { keys: KnownHostEntry[]; revoked: Buffer[] } {
  const name = knownHostName(host, port);
  return {
    keys: entries.filter((e) => e.marker === undefined && entryMatches(e.hosts, name)),
    revoked: entries.filter((e) => e.marker === "revoked").map((e) => e.blob),
  };
}

/** Reads a known_hosts file; a missing file is an empty one (nothing is known yet). */
export async function readKnownHosts(file: string): Promise<ReturnType<typeof parseKnownHosts>> {
  try {
    return parseKnownHosts(await readFile(file, "utf8"));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { entries: [], problems: [] };
    throw error;
  }
}

/** Pins a host's key (first use): one line appended, as `StrictHostKeyChecking accept-new` does. */
export async function appendKnownHost(file: string, host: string, port: number, blob: Buffer): Promise<void> {
  const type = blobType(blob) ?? "unknown";
  await appendFile(file, `${knownHostName(host, port)} ${type} ${blob.toString("base64")}\n`, {
    mode: 0o600,
  });
}

function globMatch(pattern: string, name: string): boolean {
  if (!pattern.includes("*") && !pattern.includes("?")) return pattern.toLowerCase() === name.toLowerCase();
  const source = pattern
    .split("")
    .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[\\^$.+()[\]{}|/]/g, "\\$&")))
    .join("");
  return new RegExp(`^${source}$`, "i").test(name);
}
