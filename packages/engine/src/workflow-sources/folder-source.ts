import { type FSWatcher, watch } from "node:fs";
import path from "node:path";
import { formatProblem } from "@gantry/core";
import type { LoadOptions } from "../loader/load-workflow.js";
import { syncSchedules } from "../scheduler/sync.js";
import type { ServiceContext } from "../service/context.js";
import { withUnitOfWork } from "../service/unit-of-work.js";
import { loadRevision } from "./load-revision.js";
import { prepareWorkflow, registerSourceWorkflows } from "./register-workflows.js";

/** A folder's state as the API shows it. */
export interface FolderStatus {
  dir: string;
  /** ok: the folder's files as they are now are active; error: the last good set stays active. */
  state: "ok" | "error" | "never";
  /** When the files were last read. */
  checkedAt: number | null;
  /** When the active set was registered. */
  loadedAt: number | null;
  /** Why the files as they are now were not activated, as `file:line:col: message`. */
  errors: string[];
  workflows: string[];
}

export type FolderEvent =
  | { type: "loaded"; dir: string; workflows: string[]; removed: string[] }
  | { type: "invalid"; dir: string; errors: string[] };

export interface FolderSourceOptions {
  load?: LoadOptions;
  onEvent?: (event: FolderEvent) => void;
  /** Quiet time after the last change before the folder is read again (an editor writes in steps). */
  settleMs?: number;
}

const SETTLE_MS = 250;

/**
 * A folder of workflows (`gantry up --dir`), read as a git source's commit is: every file loaded and
 * checked, and the set registered in one transaction only when all of them are valid; otherwise the last
 * good set stays active and the errors are kept for the API and the log. `watch()` reads it again after
 * each change (new, edited, renamed or deleted files); workflows whose file went away are removed.
 */
export class FolderSource {
  readonly dir: string;
  readonly key: string;
  private current: FolderStatus;
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private loading: Promise<FolderStatus> = Promise.resolve(undefined as unknown as FolderStatus);
  private stopped = false;

  constructor(
    private readonly ctx: ServiceContext,
    dir: string,
    private readonly options: FolderSourceOptions = {},
  ) {
    this.dir = path.resolve(dir);
    this.key = `dir:${this.dir}`;
    this.current = {
      dir: this.dir,
      state: "never",
      checkedAt: null,
      loadedAt: null,
      errors: [],
      workflows: [],
    };
  }

  status(): FolderStatus {
    return { ...this.current, errors: [...this.current.errors], workflows: [...this.current.workflows] };
  }

  /** Reads the folder now; loads never overlap (a change during one reads again after it). */
  load(): Promise<FolderStatus> {
    this.loading = this.loading.catch(() => undefined).then(() => this.loadOnce());
    return this.loading;
  }

  /** Follows the folder: each change, once the files settle, loads it again. */
  watch(): void {
    if (this.watcher || this.stopped) return;
    this.watcher = watch(this.dir, { recursive: true }, () => this.changed());
    this.watcher.on("error", (error) => {
      this.current = { ...this.current, state: "error", errors: [`${this.dir}: ${error.message}`] };
      this.options.onEvent?.({ type: "invalid", dir: this.dir, errors: this.current.errors });
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.watcher?.close();
    this.watcher = undefined;
    if (this.timer) clearTimeout(this.timer);
    await this.loading.catch(() => undefined);
  }

  private changed(): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.load().catch((error: Error) => {
        this.options.onEvent?.({ type: "invalid", dir: this.dir, errors: [error.message] });
      });
    }, this.options.settleMs ?? SETTLE_MS);
  }

  private async loadOnce(): Promise<FolderStatus> {
    if (this.stopped) return this.status();
    const checkedAt = this.ctx.now();
    const revision = await loadRevision(this.dir, ".", this.options.load ?? {});
    const problems = revision.problems.map((p) =>
      formatProblem({ ...p, file: path.isAbsolute(p.file) ? p.file : path.join(this.dir, p.file) }),
    );
    if (problems.length > 0) return this.refuse(problems, checkedAt);
    const prepared = await Promise.all(
      revision.workflows.map(({ name, file, loaded }) => prepareWorkflow(name, file, loaded)),
    );
    const outcome = await withUnitOfWork(this.ctx, ({ db: tx }) =>
      registerSourceWorkflows(tx, this.key, prepared, (file) => path.join(this.dir, file), this.ctx.now()),
    );
    if (outcome.errors.length > 0) return this.refuse(outcome.errors, checkedAt);
    await withUnitOfWork(this.ctx, (tx) => syncSchedules(this.ctx, tx));
    const workflows = prepared.map((w) => w.name).sort();
    this.current = { dir: this.dir, state: "ok", checkedAt, loadedAt: checkedAt, errors: [], workflows };
    this.options.onEvent?.({ type: "loaded", dir: this.dir, workflows, removed: outcome.removed });
    return this.status();
  }

  private refuse(errors: string[], checkedAt: number): FolderStatus {
    this.current = { ...this.current, state: "error", checkedAt, errors };
    this.options.onEvent?.({ type: "invalid", dir: this.dir, errors });
    return this.status();
  }
}
