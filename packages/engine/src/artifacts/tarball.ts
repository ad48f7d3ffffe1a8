import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { lstat, mkdir, stat } from "node:fs/promises";
import path from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import * as tar from "tar";
import { glob } from "tinyglobby";

/** A packed set of files: a gzipped tar in a local file, with what the store records of it. */
export interface Tarball {
  file: string;
  /** Bytes of the tarball. */
  size: number;
  sha256: string;
  /** How many files it holds. */
  files: number;
}

export class FilesError extends Error {}

/**
 * The patterns of a `path` input: one per line (as actions/upload-artifact takes them), blank lines and
 * `#` comments skipped. Each must stay inside the workspace: no absolute path, no `..`.
 */
export function pathPatterns(input: string, field: string): string[] {
  const patterns = input
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
  for (const pattern of patterns) {
    const bare = pattern.replace(/^!/, "");
    if (path.posix.isAbsolute(bare) || bare.split("/").includes("..")) {
      throw new FilesError(`${field}: '${pattern}' leaves the workspace (relative paths without '..' only)`);
    }
  }
  return patterns;
}

/**
 * Packs the files of `workspace` that the patterns match (globs: `dist/**`, `*.log`; a folder means its
 * files; `!pattern` excludes) into a gzipped tar at `file`, hashing it as it is written. Symbolic
 * links are packed as links, never followed. Fails before packing when the files add up to more than
 * `maxBytes`, so a runaway step cannot fill the store.
 */
export async function packFiles(
  workspace: string,
  patterns: string[],
  file: string,
  maxBytes: number,
  field: string,
): Promise<Tarball> {
  const expanded: string[] = [];
  for (const pattern of patterns) {
    const negated = pattern.startsWith("!");
    const bare = negated ? pattern.slice(1) : pattern;
    const info = await stat(path.join(workspace, bare)).catch(() => undefined);
    const files = info?.isDirectory() ? `${bare.replace(/\/+$/, "")}/**` : bare;
    expanded.push(negated ? `!${files}` : files);
  }
  const matched = (
    await glob(expanded, {
      cwd: workspace,
      dot: true,
      onlyFiles: true,
      followSymbolicLinks: false,
      expandDirectories: false,
    })
  ).sort();
  let total = 0;
  for (const rel of matched) {
    total += (await lstat(path.join(workspace, rel))).size;
    if (total > maxBytes) {
      throw new FilesError(`${field}: the files add up to more than the limit of ${formatLimit(maxBytes)}`);
    }
  }
  if (matched.length === 0) return { file, size: 0, sha256: "", files: 0 };
  await tar.c({ gzip: true, cwd: workspace, file, portable: true, noDirRecurse: true }, matched);
  const { size, sha256 } = await hashFile(file);
  return { file, size, sha256, files: matched.length };
}

export async function hashFile(file: string): Promise<{ size: number; sha256: string }> {
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of createReadStream(file)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { size, sha256: hash.digest("hex") };
}

/**
 * Unpacks a gzipped tar stream into `dest` (made when missing), checking on the way that its bytes
 * hash to `sha256`: a changed or truncated object fails rather than leaving files that look right.
 * node-tar refuses entries that would land outside `dest` (`..`, absolute paths, links followed out).
 */
export async function unpackStream(
  source: NodeJS.ReadableStream,
  dest: string,
  sha256: string,
): Promise<void> {
  await mkdir(dest, { recursive: true });
  const hash = createHash("sha256");
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  await pipeline(source, hashing, tar.x({ cwd: dest, strict: true }));
  const actual = hash.digest("hex");
  if (actual !== sha256)
    throw new FilesError(`the stored object's SHA-256 is ${actual}, not the recorded ${sha256}`);
}

/** A path inside the workspace for an input naming a folder there. */
export function insideWorkspace(workspace: string, relative: string, field: string): string {
  const target = path.resolve(workspace, relative || ".");
  if (target !== workspace && !target.startsWith(workspace + path.sep)) {
    throw new FilesError(`${field}: '${relative}' leaves the workspace`);
  }
  return target;
}

export function formatLimit(bytes: number): string {
  if (bytes >= 1024 ** 3 && bytes % 1024 ** 3 === 0) return `${bytes / 1024 ** 3} GiB`;
  if (bytes >= 1024 ** 2) return `${Math.round(bytes / 1024 ** 2)} MiB`;
  return `${bytes} bytes`;
}
