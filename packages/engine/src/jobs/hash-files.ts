import { createHash } from "node:crypto";
import { realpath, stat } from "node:fs/promises";
import path from "node:path";
import type { HashFiles } from "@gantry/core";
import { glob } from "tinyglobby";
import { hashFile } from "../artifacts/tarball.js";

/** GitHub's first argument that makes hashFiles() follow symbolic links to folders. */
const FOLLOW_LINKS = "--follow-symbolic-links";

/**
 * GitHub's `hashFiles(patterns...)` over a workspace: the SHA-256 of the matched files' SHA-256s (their
 * raw digests, one after another), the files taken in the order of their paths relative to the
 * workspace; '' when nothing matches. Patterns are globs relative to the workspace, one or more per
 * argument (one per line), `!` excludes, a folder matches the files under it; dot files match. Files
 * outside the workspace (through `..` or a link leading out) are left out, as GitHub does: a step must
 * not learn anything of the worker's own files.
 */
export async function hashWorkspaceFiles(workspace: string, args: string[]): Promise<string> {
  const follow = args[0] === FOLLOW_LINKS;
  const lines = (follow ? args.slice(1) : args)
    .flatMap((arg) => arg.split("\n"))
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
  const root = await realpath(workspace);
  const patterns: string[] = [];
  for (const line of lines) {
    const negated = line.startsWith("!");
    let bare = negated ? line.slice(1) : line;
    if (path.isAbsolute(bare)) {
      const relative = path.relative(root, bare);
      if (relative.startsWith("..") || path.isAbsolute(relative)) continue;
      bare = relative.split(path.sep).join("/");
    }
    bare = bare.replace(/\/+$/, "");
    // A folder matches the files under it (@actions/glob's implicit descendants).
    for (const p of [bare, `${bare}/**`]) patterns.push(negated ? `!${p}` : p);
  }
  if (!patterns.some((p) => !p.startsWith("!"))) return "";
  const matched = await glob(patterns, {
    cwd: root,
    dot: true,
    onlyFiles: true,
    followSymbolicLinks: follow,
    expandDirectories: false,
  });
  const files = [...new Set(matched)].sort();
  const total = createHash("sha256");
  let count = 0;
  for (const relative of files) {
    const file = path.resolve(root, relative);
    const real = await realpath(file).catch(() => undefined);
    if (!real || !(real === root || real.startsWith(root + path.sep))) continue;
    if (!(await stat(real)).isFile()) continue;
    total.update(Buffer.from((await hashFile(real)).sha256, "hex"));
    count++;
  }
  return count > 0 ? total.digest("hex") : "";
}

/**
 * Runs a synchronous evaluation (core's, which does no I/O) that may call hashFiles(): a first pass
 * notes which pattern lists it asks for, they are hashed here, and the evaluation runs again with the
 * answers, until it asks for nothing new (an argument may itself hold a hashFiles()). Without a
 * workspace (a runner whose workspace is not on this machine), hashFiles() fails, saying so.
 */
export async function withHashFiles<T>(
  workspace: string | undefined,
  runnerType: string,
  evaluate: (hashFiles: HashFiles) => T,
): Promise<T> {
  const known = new Map<string, string>();
  for (let pass = 0; ; pass++) {
    const missing = new Map<string, string[]>();
    const hashFiles: HashFiles = (patterns) => {
      if (workspace === undefined)
        throw new Error(
          `hashFiles() reads the job's workspace on the worker, which the ${runnerType} runner does not have (local and docker do)`,
        );
      const key = JSON.stringify(patterns);
      const value = known.get(key);
      if (value !== undefined) return value;
      missing.set(key, patterns);
      return "";
    };
    let result: T;
    try {
      result = evaluate(hashFiles);
    } catch (error) {
      // A pass on placeholder answers may fail where the real ones would not: fill them in first.
      if (missing.size === 0 || pass >= 3) throw error;
      result = undefined as T;
    }
    if (missing.size === 0) return result;
    if (pass >= 3) throw new Error("hashFiles(): its arguments hold hashFiles() nested too deep");
    for (const [key, patterns] of missing)
      known.set(key, await hashWorkspaceFiles(workspace as string, patterns));
  }
}
