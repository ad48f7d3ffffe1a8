import { statSync } from "node:fs";
import path from "node:path";

/**
 * The root of the git repository holding `file` (the nearest folder with a `.git` entry, a folder or a
 * worktree's file), or the file's own folder when it is in none. Found without starting `git`, which
 * would cost a process per workflow load.
 */
export function repositoryRoot(file: string): string {
  const start = path.dirname(path.resolve(file));
  for (let dir = start; ; dir = path.dirname(dir)) {
    try {
      statSync(path.join(dir, ".git"));
      return dir;
    } catch {
      // not here; look further up
    }
    if (path.dirname(dir) === dir) return start;
  }
}

/** True when `target` is `root` or inside it. */
export function isInside(root: string, target: string): boolean {
  const rel = path.relative(root, target);
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}
