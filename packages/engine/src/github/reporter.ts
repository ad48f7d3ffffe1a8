import type { Octokit } from "@octokit/rest";
import type { ServiceContext } from "../service/context.js";
import { decodeRunInfo } from "../store/decode/index.js";
import {
  claimCommitReport,
  dueCommitReports,
  type ReportCandidate,
  updateCommitReport,
} from "../store/queries/commit-reports.js";
import type { GithubSourceConfig, SecretResolver, SourceConfig } from "../workflow-sources/config.js";
import { githubClient } from "./client.js";
import { checkRunOf, commitStatusOf, runPageUrl } from "./report-state.js";

export interface CommitReporterOptions {
  /** The git sources; those whose `github` has a token or an app report. */
  sources: SourceConfig[];
  resolveSecret: SecretResolver;
  /** `server.public_url`: the run page's address on GitHub links to it. */
  publicUrl?: string;
  /** How often runs are looked at; default 2 s. */
  pollMs?: number;
  /** Tries of one report before it is given up; default 8 (about 4 minutes of backoff). */
  maxAttempts?: number;
  /** The wait before try `n + 1` after `n` failed; default 1 s doubling to 2 min, with jitter. */
  backoffMs?: (failed: number) => number;
  onEvent?: (event: ReportEvent) => void;
}

export type ReportEvent =
  | { type: "reported"; runId: string; status: string; how: "status" | "check_run" }
  | { type: "failed"; runId: string; status: string; error: string; retryInMs: number }
  | { type: "gave_up"; runId: string; status: string; error: string };

/** Runs older than this are not reported any more (a reporter started after a long outage). */
const LOOKBACK_MS = 24 * 3600_000;
/** A claimed report belongs to its process this long: a request's time, with room. */
const HOLD_MS = 60_000;
const BATCH = 50;
/** A client (and its resolved token) is reused this long: a rotated secret is picked up after it. */
const CLIENT_TTL_MS = 10 * 60_000;

const defaultBackoff = (failed: number) =>
  Math.min(120_000, 1000 * 2 ** (failed - 1)) * (0.75 + Math.random() / 2);

/**
 * Reports the runs that GitHub events started on their commits, as configured on each git source: a
 * commit status per workflow (with a token), or a check run per workflow (as a GitHub App), pending
 * while queued or running and then the result, linking the run's page. It works apart from the runs:
 * it reads their status from the store and never holds one back. A report that fails is retried with
 * backoff, then given up (and recorded with its error). Several servers may run one each: a claim in
 * the store lets exactly one post each change.
 */
export class CommitReporter {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private readonly reporting: Map<string, GithubSourceConfig>;
  private readonly clients = new Map<string, { client: Promise<Octokit>; until: number }>();

  constructor(
    private readonly ctx: ServiceContext,
    private readonly options: CommitReporterOptions,
  ) {
    this.reporting = new Map(
      options.sources.flatMap((s) =>
        s.github && (s.github.token || s.github.app) ? [[s.name, s.github]] : [],
      ),
    );
  }

  /** Whether any source reports: without one, start() does nothing. */
  get active(): boolean {
    return this.reporting.size > 0;
  }

  start(): void {
    if (!this.active) return;
    this.stopped = false;
    const loop = () => {
      if (this.stopped) return;
      this.running = this.tick()
        .then(() => undefined)
        .catch(() => undefined)
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(loop, this.options.pollMs ?? 2000);
        });
    };
    loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** One pass: posts every due report. Returns how many it posted. */
  async tick(): Promise<number> {
    const now = this.ctx.now();
    const due = await dueCommitReports(this.ctx.database.db, {
      sources: [...this.reporting.keys()],
      since: now - LOOKBACK_MS,
      now,
      limit: BATCH,
    });
    let posted = 0;
    for (const candidate of due) {
      if (this.stopped) break;
      if (!(await claimCommitReport(this.ctx.database.db, candidate.id, this.ctx.now(), HOLD_MS))) continue;
      if (await this.report(candidate)) posted++;
    }
    return posted;
  }

  private async report(c: ReportCandidate): Promise<boolean> {
    const github = this.reporting.get(c.source) as GithubSourceConfig;
    const db = this.ctx.database.db;
    const info = decodeRunInfo(c);
    const sha = typeof info.github?.sha === "string" ? info.github.sha : "";
    const [owner = "", repo = ""] = github.repository.split("/");
    if (!/^[0-9a-f]{40}$/i.test(sha)) {
      await updateCommitReport(db, c.id, {
        run_status: c.status,
        next_at: this.ctx.now(),
        error: "the run has no commit to report on (github.sha)",
        updated_at: this.ctx.now(),
      });
      return false;
    }
    const url = runPageUrl(this.options.publicUrl, c.id);
    try {
      const client = await this.client(c.source, github);
      let checkRunId = c.check_run_id;
      if (github.app) {
        const fields = checkRunOf(c.status);
        const common = {
          owner,
          repo,
          name: c.workflow,
          external_id: c.id,
          ...(url ? { details_url: url } : {}),
          status: fields.status,
          ...(fields.conclusion
            ? { conclusion: fields.conclusion, completed_at: new Date(this.ctx.now()).toISOString() }
            : {}),
        };
        if (checkRunId === null) {
          const created = await client.rest.checks.create({ ...common, head_sha: sha });
          checkRunId = created.data.id;
        } else {
          await client.rest.checks.update({ ...common, check_run_id: Number(checkRunId) });
        }
      } else {
        await client.rest.repos.createCommitStatus({
          owner,
          repo,
          sha,
          ...commitStatusOf(c.status, c.workflow, url),
        });
      }
      await updateCommitReport(db, c.id, {
        run_status: c.status,
        check_run_id: checkRunId,
        attempts: 0,
        next_at: this.ctx.now(),
        error: null,
        updated_at: this.ctx.now(),
      });
      this.options.onEvent?.({
        type: "reported",
        runId: c.id,
        status: c.status,
        how: github.app ? "check_run" : "status",
      });
      return true;
    } catch (error) {
      const message = describe(error);
      const failed = (c.attempts ?? 0) + 1;
      const max = this.options.maxAttempts ?? 8;
      if (failed >= max) {
        // Given up for this status; the run's next status is reported afresh.
        await updateCommitReport(db, c.id, {
          run_status: c.status,
          attempts: 0,
          next_at: this.ctx.now(),
          error: message,
          updated_at: this.ctx.now(),
        });
        this.options.onEvent?.({ type: "gave_up", runId: c.id, status: c.status, error: message });
      } else {
        const wait = Math.round((this.options.backoffMs ?? defaultBackoff)(failed));
        await updateCommitReport(db, c.id, {
          attempts: failed,
          next_at: this.ctx.now() + wait,
          error: message,
          updated_at: this.ctx.now(),
        });
        this.options.onEvent?.({
          type: "failed",
          runId: c.id,
          status: c.status,
          error: message,
          retryInMs: wait,
        });
      }
      // A rejected token may have been rotated: make the client again next time.
      this.clients.delete(c.source);
      return false;
    }
  }

  private client(source: string, github: GithubSourceConfig): Promise<Octokit> {
    const now = this.ctx.now();
    const cached = this.clients.get(source);
    if (cached && cached.until > now) return cached.client;
    const client = githubClient(github, this.options.resolveSecret);
    client.catch(() => this.clients.delete(source));
    this.clients.set(source, { client, until: now + CLIENT_TTL_MS });
    return client;
  }
}

/** An error as stored and logged: GitHub's status and message, never a request's headers. */
function describe(error: unknown): string {
  const e = error as { status?: number; message?: string };
  const text = `${e.status ? `HTTP ${e.status}: ` : ""}${e.message ?? String(error)}`;
  return text.length > 500 ? `${text.slice(0, 500)}…` : text;
}
