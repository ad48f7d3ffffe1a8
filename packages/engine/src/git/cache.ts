import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readdir, rm, stat } from "node:fs/promises";
import path from "node:path";
import { type GitCredentials, gitAuth } from "./credentials.js";
import { GitError, redactUrl, runGit } from "./run-git.js";

const FULL_SHA = /^[0-9a-f]{40}$/;

/**
 * A local cache of remote repositories under one folder (`<data>/git`): a bare mirror of each URL's
 * branches and tags (`repos/<hash of url>.git`), and a checked-out tree per commit that was loaded
 * (`trees/<hash of url>/<commit>`, a git worktree, so the loader finds the repository root there).
 * Commands on one repository run one at a time; different repositories in parallel.
 */
export class GitCache {
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(readonly root: string) {}

  /** Fetches every branch and tag of `url` (forced: a force-push replaces the branch; pruned: a deleted branch goes). */
  async fetch(url: string, credentials?: GitCredentials): Promise<void> {
    const repo = this.repoDir(url);
    await this.locked(repo, async () => {
      if (!existsSync(path.join(repo, "HEAD"))) {
        await mkdir(repo, { recursive: true });
        await runGit(["init", "--bare", "--quiet", repo]);
      }
      const auth = await gitAuth(credentials);
      try {
        await runGit(
          [
            "fetch",
            "--quiet",
            "--force",
            "--prune",
            "--prune-tags",
            "--no-write-fetch-head",
            url,
            "+refs/heads/*:refs/heads/*",
            "+refs/tags/*:refs/tags/*",
          ],
          { cwd: repo, env: auth.env, secrets: auth.secrets },
        );
      } catch (error) {
        throw new GitError(
          `${redactUrl(url)}: ${(error as Error).message}`,
          (error as GitError).stderr ?? "",
        );
      } finally {
        await auth.dispose();
      }
    });
  }

  /**
   * The commit a branch, tag or full commit id names in the cache, or undefined when there is none
   * (a deleted branch, a mistyped ref). Branches win over tags of the same name, as in `git checkout`.
   */
  async resolve(url: string, ref: string): Promise<{ commit: string; ref: string } | undefined> {
    const repo = this.repoDir(url);
    const candidates = ref.startsWith("refs/")
      ? [ref]
      : FULL_SHA.test(ref)
        ? [ref]
        : [`refs/heads/${ref}`, `refs/tags/${ref}`];
    for (const candidate of candidates) {
      try {
        const out = await runGit(["rev-parse", "--verify", "--quiet", `${candidate}^{commit}`], {
          cwd: repo,
        });
        return { commit: out.trim(), ref: candidate };
      } catch {
        // not this one
      }
    }
    return undefined;
  }

  /** The folder holding `commit`'s files, checked out once and then reused (commits never change). */
  async tree(url: string, commit: string): Promise<string> {
    const repo = this.repoDir(url);
    const dir = path.join(this.root, "trees", this.key(url), commit);
    return this.locked(repo, async () => {
      if (existsSync(path.join(dir, ".git"))) return dir;
      await rm(dir, { recursive: true, force: true });
      await runGit(["worktree", "prune"], { cwd: repo });
      await runGit(["worktree", "add", "--quiet", "--detach", "--force", dir, commit], { cwd: repo });
      return dir;
    });
  }

  /** Files changed between two commits (undefined when either is unknown here, e.g. after a force-push gc). */
  async changedPaths(url: string, from: string, to: string): Promise<string[] | undefined> {
    try {
      const out = await runGit(["diff", "--name-only", "--no-renames", `${from}`, `${to}`], {
        cwd: this.repoDir(url),
      });
      return out.split("\n").filter((l) => l !== "");
    } catch {
      return undefined;
    }
  }

  /** Removes the checked-out trees of `url` except those listed (the active commit's, the newest ones). */
  async pruneTrees(url: string, keep: string[]): Promise<void> {
    const repo = this.repoDir(url);
    const dir = path.join(this.root, "trees", this.key(url));
    await this.locked(repo, async () => {
      let entries: string[];
      try {
        entries = await readdir(dir);
      } catch {
        return;
      }
      for (const entry of entries) {
        if (keep.includes(entry)) continue;
        await rm(path.join(dir, entry), { recursive: true, force: true });
      }
      await runGit(["worktree", "prune"], { cwd: repo });
    });
  }

  /** The checked-out commits of `url`, newest first (by when they were checked out). */
  async trees(url: string): Promise<string[]> {
    const dir = path.join(this.root, "trees", this.key(url));
    try {
      const entries = await readdir(dir);
      const times = await Promise.all(
        entries.map(async (e) => [e, (await stat(path.join(dir, e))).mtimeMs] as const),
      );
      return times.sort((a, b) => b[1] - a[1]).map(([e]) => e);
    } catch {
      return [];
    }
  }

  repoDir(url: string): string {
    return path.join(this.root, "repos", `${this.key(url)}.git`);
  }

  private key(url: string): string {
    return createHash("sha256").update(url).digest("hex").slice(0, 16);
  }

  private locked<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(key) ?? Promise.resolve();
    const next = previous.then(work, work);
    const settled = next.catch(() => {});
    this.locks.set(key, settled);
    void settled.then(() => {
      if (this.locks.get(key) === settled) this.locks.delete(key);
    });
    return next;
  }
}
