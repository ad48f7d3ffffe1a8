import { formatProblem } from "@gantry/core";
import { GitCache } from "../git/cache.js";
import { redactUrl, runGit } from "../git/run-git.js";
import { syncSchedules } from "../scheduler/sync.js";
import type { ServiceContext } from "../service/context.js";
import { withUnitOfWork } from "../service/unit-of-work.js";
import { decodeSourceErrors, decodeSourceWorkflows } from "../store/decode/index.js";
import { claimGitEvent } from "../store/queries/git-event-insert.js";
import { getSource, listSources } from "../store/queries/source-get.js";
import type { SourceRow } from "../store/queries/source-tables.js";
import { upsertSource } from "../store/queries/source-upsert.js";
import { activateRevision } from "./activate.js";
import { resolveCredentials, type SecretResolver, type SourceConfig, secretResolver } from "./config.js";
import { type StartedRun, startGitEventRuns } from "./git-triggers.js";
import { type LibraryConfig, libraryResolver } from "./libraries.js";
import { loadRevision } from "./load-revision.js";

/** What one sync did. */
export interface SyncOutcome {
  source: string;
  /** ok: the active commit is the ref's head; error: git failed or the head commit is invalid. */
  state: "ok" | "error";
  /** The commit the ref points at now (undefined when git could not tell). */
  head?: string;
  activeCommit: string | null;
  /** True when this sync activated a new commit. */
  activated: boolean;
  errors: string[];
  /** Runs started because the poller found a new commit (on.push). */
  runs: StartedRun[];
}

/** A source's state as the API shows it. */
export interface SourceStatus {
  name: string;
  url: string;
  ref: string;
  path: string;
  intervalMs: number;
  githubRepository: string | null;
  state: "ok" | "error" | "never";
  activeCommit: string | null;
  activatedAt: number | null;
  /** The last commit looked at; differs from activeCommit when that commit was invalid. */
  seenCommit: string | null;
  lastSyncAt: number | null;
  errors: string[];
  workflows: string[];
}

export type SyncerEvent =
  | { type: "activated"; source: string; commit: string; workflows: number }
  | { type: "invalid"; source: string; commit: string | undefined; errors: string[] }
  | { type: "runs"; source: string; runs: StartedRun[] };

export interface SyncerOptions {
  sources: SourceConfig[];
  /** The cache folder (`<data>/git`). */
  cacheDir: string;
  resolveSecret?: SecretResolver;
  onEvent?: (event: SyncerEvent) => void;
  /** Checked-out commits kept per repository besides the active one (older runs' secret files live there). */
  keepTrees?: number;
  /** Action libraries (`uses: <library>/<path>@<ref>`), fetched into the same cache. */
  libraries?: LibraryConfig[];
}

/**
 * Follows the configured git sources: fetches each on its interval (and on demand: webhooks, the API),
 * loads every workflow of the ref's head commit and activates that commit only when all of them are
 * valid; otherwise the last good commit stays active and the errors are kept for the API. A new commit
 * found by polling fires `on.push` once per (source, ref, commit), like a webhook would have.
 */
export class SourceSyncer {
  readonly cache: GitCache;
  private readonly byName: Map<string, SourceConfig>;
  private readonly resolveSecret: SecretResolver;
  private readonly pending = new Map<string, Promise<SyncOutcome>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly options: SyncerOptions,
  ) {
    this.cache = new GitCache(options.cacheDir);
    this.byName = new Map(options.sources.map((s) => [s.name, s]));
    this.resolveSecret =
      options.resolveSecret ?? secretResolver(process.cwd(), process.env, ctx.secretProviders);
  }

  get sources(): SourceConfig[] {
    return [...this.byName.values()];
  }

  source(name: string): SourceConfig | undefined {
    return this.byName.get(name);
  }

  /** Sources whose `github.repository` is this `owner/name` (GitHub compares them case-insensitively). */
  sourcesForRepository(fullName: string): SourceConfig[] {
    const wanted = fullName.toLowerCase();
    return this.sources.filter((s) => s.github?.repository.toLowerCase() === wanted);
  }

  secret(value: string): Promise<string> {
    return this.resolveSecret(value);
  }

  /** Syncs every source once (in parallel), then each again on its interval. Resolves after the first round. */
  async start(): Promise<SyncOutcome[]> {
    const first = await Promise.all(this.sources.map((s) => this.sync(s.name)));
    for (const s of this.sources) if (s.intervalMs > 0) this.schedule(s);
    return first;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await Promise.allSettled([...this.pending.values()]);
  }

  /**
   * Syncs one source now. Syncs of one source never overlap: a call while one runs waits for it and
   * then syncs again (a webhook must see the commit it announces, which the running fetch may predate).
   * `firePush: false` is for webhooks, which start the push's runs themselves with GitHub's payload.
   */
  sync(name: string, options: { firePush?: boolean } = {}): Promise<SyncOutcome> {
    const source = this.byName.get(name);
    if (!source) return Promise.reject(new Error(`unknown source '${name}'`));
    const previous = this.pending.get(name) ?? Promise.resolve(undefined);
    const next = previous.catch(() => undefined).then(() => this.syncOnce(source, options.firePush ?? true));
    this.pending.set(name, next);
    void next.finally(() => {
      if (this.pending.get(name) === next) this.pending.delete(name);
    });
    return next;
  }

  /**
   * A file of a source at its active commit (a node inventory kept in git), path from the repository
   * root. Throws saying why when the source is unknown, has no active commit yet, or lacks the file.
   */
  async readActiveFile(name: string, file: string): Promise<{ commit: string; text: string }> {
    const source = this.byName.get(name);
    if (!source)
      throw new Error(
        `unknown source '${name}' (sources: ${this.sources.map((s) => s.name).join(", ") || "none"})`,
      );
    const commit = (await getSource(this.ctx.database.db, name))?.active_commit;
    if (!commit) throw new Error(`source '${name}' has no active commit yet`);
    try {
      const text = await runGit(["show", `${commit}:${file.replace(/^\.?\//, "")}`], {
        cwd: this.cache.repoDir(source.url),
      });
      return { commit, text };
    } catch {
      throw new Error(`source '${name}' has no file '${file}' at ${commit.slice(0, 12)}`);
    }
  }

  /** True while a sync of the source runs or waits to. */
  isSyncing(name: string): boolean {
    return this.pending.has(name);
  }

  async status(): Promise<SourceStatus[]> {
    const rows = new Map((await listSources(this.ctx.database.db)).map((r) => [r.name, r]));
    return this.sources.map((s) => statusOf(s, rows.get(s.name)));
  }

  async statusOf(name: string): Promise<SourceStatus | undefined> {
    const source = this.byName.get(name);
    if (!source) return undefined;
    return statusOf(source, await getSource(this.ctx.database.db, name));
  }

  private schedule(source: SourceConfig): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.sync(source.name)
        .catch(() => undefined)
        .finally(() => this.schedule(source));
    }, source.intervalMs);
    timer.unref();
    this.timers.add(timer);
  }

  private async syncOnce(source: SourceConfig, firePush: boolean): Promise<SyncOutcome> {
    const { db } = this.ctx.database;
    const row = await getSource(db, source.name);
    const outcome: SyncOutcome = {
      source: source.name,
      state: "error",
      activeCommit: row?.active_commit ?? null,
      activated: false,
      errors: [],
      runs: [],
    };
    const fail = async (errors: string[], seen?: string): Promise<SyncOutcome> => {
      await this.record(source, row, { state: "error", errors, seen: seen ?? row?.seen_commit ?? null });
      this.options.onEvent?.({ type: "invalid", source: source.name, commit: seen, errors });
      return { ...outcome, errors, ...(seen ? { head: seen } : {}) };
    };
    let head: { commit: string; ref: string } | undefined;
    try {
      const credentials = await resolveCredentials(source.credentials, this.resolveSecret);
      await this.cache.fetch(source.url, credentials);
      head = await this.cache.resolve(source.url, source.ref);
    } catch (error) {
      return fail([(error as Error).message]);
    }
    if (!head) {
      return fail([
        `ref '${source.ref}' is not a branch, tag or commit of ${redactUrl(source.url)} (deleted?)`,
      ]);
    }
    const sameConfig =
      row && row.path === source.path && row.ref === source.ref && row.url === redactUrl(source.url);
    if (sameConfig && row.active_commit === head.commit) {
      // Nothing new: only the sync time moves. (An invalid head is loaded again each time: cheap, as its
      // tree is cached, and its errors then never go stale behind a passing git error.)
      await this.record(source, row, { state: "ok", errors: [], seen: head.commit });
      return { ...outcome, state: "ok", head: head.commit };
    }
    const tree = await this.cache.tree(source.url, head.commit);
    const revision = await loadRevision(tree, source.path, {
      libraries: libraryResolver(this.cache, this.options.libraries ?? [], this.resolveSecret),
    });
    if (revision.problems.length > 0) return fail(revision.problems.map(formatProblem), head.commit);
    const activation = await activateRevision(this.ctx, source, head.commit, revision);
    if (!activation.activated) return fail(activation.errors, head.commit);
    await withUnitOfWork(this.ctx, (tx) => syncSchedules(this.ctx, tx));
    this.options.onEvent?.({
      type: "activated",
      source: source.name,
      commit: head.commit,
      workflows: revision.workflows.length,
    });
    const previous = row?.active_commit ?? null;
    const result: SyncOutcome = {
      ...outcome,
      state: "ok",
      head: head.commit,
      activeCommit: head.commit,
      activated: true,
    };
    // The first sync of a source loads it; only a commit that arrives later is a push.
    if (firePush && previous && previous !== head.commit)
      result.runs = await this.firePush(source, head, previous);
    await this.pruneTrees(source, head.commit);
    return result;
  }

  private async firePush(
    source: SourceConfig,
    head: { commit: string; ref: string },
    before: string,
  ): Promise<StartedRun[]> {
    if (!head.ref.startsWith("refs/")) return [];
    const claimed = await claimGitEvent(this.ctx.database.db, {
      source: source.name,
      ref: head.ref,
      sha: head.commit,
      seenBy: "poll",
      now: this.ctx.now(),
    });
    if (!claimed) return [];
    const changedPaths = await this.cache.changedPaths(source.url, before, head.commit);
    const payload = {
      ref: head.ref,
      before,
      after: head.commit,
      created: false,
      deleted: false,
      forced: false,
      commits: [],
      head_commit: null,
      repository: {
        full_name: source.github?.repository ?? source.name,
        name: (source.github?.repository ?? source.name).split("/").pop(),
        clone_url: redactUrl(source.url),
      },
      pusher: {},
      sender: {},
    };
    const runs = await startGitEventRuns(this.ctx, {
      source: source.name,
      name: "push",
      payload,
      delivery: null,
      ...(changedPaths ? { changedPaths } : {}),
    });
    if (runs.length > 0) this.options.onEvent?.({ type: "runs", source: source.name, runs });
    return runs;
  }

  private async pruneTrees(source: SourceConfig, active: string): Promise<void> {
    const keep = (await this.cache.trees(source.url)).slice(0, this.options.keepTrees ?? 5);
    await this.cache.pruneTrees(source.url, [...keep, active]);
  }

  private async record(
    source: SourceConfig,
    row: SourceRow | undefined,
    update: { state: "ok" | "error"; errors: string[]; seen: string | null },
  ): Promise<void> {
    const now = this.ctx.now();
    await upsertSource(this.ctx.database.db, {
      name: source.name,
      url: redactUrl(source.url),
      ref: source.ref,
      path: source.path,
      active_commit: row?.active_commit ?? null,
      activated_at: row?.activated_at ?? null,
      seen_commit: update.seen,
      last_sync_at: now,
      state: update.state,
      errors_json: JSON.stringify(update.errors),
      workflows_json: row?.workflows_json ?? "[]",
      updated_at: now,
    });
  }
}

function statusOf(source: SourceConfig, row: SourceRow | undefined): SourceStatus {
  const num = (v: number | null | undefined) => (v === null || v === undefined ? null : Number(v));
  return {
    name: source.name,
    url: redactUrl(source.url),
    ref: source.ref,
    path: source.path,
    intervalMs: source.intervalMs,
    githubRepository: source.github?.repository ?? null,
    state: (row?.state as SourceStatus["state"] | undefined) ?? "never",
    activeCommit: row?.active_commit ?? null,
    activatedAt: num(row?.activated_at),
    seenCommit: row?.seen_commit ?? null,
    lastSyncAt: num(row?.last_sync_at),
    errors: row ? decodeSourceErrors(row) : [],
    workflows: row ? decodeSourceWorkflows(row) : [],
  };
}
