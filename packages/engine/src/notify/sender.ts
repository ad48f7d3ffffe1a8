import { Masker, type RunInfo } from "@gantry/core";
import { streamLogLines } from "../logs/reader.js";
import type { LogArchiveLike } from "../logs/types.js";
import type { ServiceContext } from "../service/context.js";
import { runInfo, secretMasker } from "../service/run-record.js";
import { decodeNotificationSpec } from "../store/decode/index.js";
import { getRun } from "../store/queries/get-run.js";
import { claimNotification, dueNotifications, updateNotification } from "../store/queries/notifications.js";
import type { NotificationRow } from "../store/queries/people-tables.js";
import { sendMessage } from "./channels.js";
import type { NotificationSpec } from "./events.js";
import { buildMessage } from "./message.js";

/** How many tries a message gets before it is marked failed. */
export const MAX_ATTEMPTS = 6;
/** The retry backoff: 5 s, 10 s, 20 s … at most 10 minutes. */
export function backoffMs(attempts: number): number {
  return Math.min(5_000 * 2 ** (attempts - 1), 600_000);
}
/** A claimed message not finished in this long (a sender died) is tried again. */
const CLAIM_MS = 60_000;
const LOG_LINES = 20;

/**
 * The fallback poll: messages are sent when their run queues them (a wake-up, see events.ts) and when
 * a retry falls due; the poll finds those whose wake-up was lost or whose sender died holding them.
 */
const POLL_MS = 30_000;

export interface SenderOptions {
  logArchive: LogArchiveLike;
  /** The fallback poll (see POLL_MS). */
  pollMs?: number;
  onError?: (error: Error) => void;
}

/**
 * Sends queued notifications, retrying with backoff. Runs in every server; a message is claimed before
 * it is sent, so two servers never send it twice at once. Nothing here touches the run: a channel that
 * is down only delays and finally fails its own message, recorded with the run.
 */
export class NotificationSender {
  private timer: NodeJS.Timeout | undefined;
  /** When the timer fires (epoch ms). */
  private timerAt = Number.POSITIVE_INFINITY;
  private running: Promise<void> | undefined;
  /** The soonest look asked for while one was under way (epoch ms). */
  private again: number | undefined;
  private started = false;
  private stopped = false;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly options: SenderOptions,
  ) {}

  start(): void {
    this.started = true;
    this.unsubscribe = this.ctx.notifier.subscribe("notifications", () => this.lookIn(0));
    this.lookIn(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    clearTimeout(this.timer);
    await this.running;
  }

  /**
   * Looks for due messages in `delayMs` at the latest; one look at a time, the next after it. Only once
   * started: a caller of sendDue alone (a test) keeps the only say over when messages go.
   */
  private lookIn(delayMs: number): void {
    if (!this.started || this.stopped) return;
    const at = Date.now() + delayMs;
    if (this.running) {
      this.again = Math.min(this.again ?? at, at);
      return;
    }
    if (this.timer && this.timerAt <= at) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => this.fire(), delayMs);
  }

  /**
   * A timer may fire a few milliseconds early against Date.now() (libuv counts from the time its loop
   * iteration began): a retry looked for then finds its message not due yet, and would wait for the
   * poll. It waits out the rest instead.
   */
  private fire(): void {
    const early = this.timerAt - Date.now();
    if (early > 0) {
      this.timer = setTimeout(() => this.fire(), early);
      return;
    }
    this.look();
  }

  private look(): void {
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    this.running = this.sendDue()
      .then(() => undefined)
      .catch((error: Error) => this.options.onError?.(error))
      .finally(() => {
        this.running = undefined;
        const again = this.again;
        this.again = undefined;
        this.lookIn(again !== undefined ? Math.max(0, again - Date.now()) : (this.options.pollMs ?? POLL_MS));
      });
  }

  /** Sends what is due now; returns how many were sent. */
  async sendDue(): Promise<number> {
    const { db } = this.ctx.database;
    let sent = 0;
    for (const row of await dueNotifications(db, this.ctx.now(), 20)) {
      if (this.stopped) break;
      if (!(await claimNotification(db, row, this.ctx.now() + CLAIM_MS))) continue;
      if (await this.sendOne(row)) sent += 1;
    }
    return sent;
  }

  private async sendOne(row: NotificationRow): Promise<boolean> {
    const { db } = this.ctx.database;
    const attempts = row.attempts + 1;
    try {
      const spec = decodeNotificationSpec(row);
      const log = await this.lastLines(spec);
      const message = buildMessage(spec.facts, log, this.ctx.notify?.publicUrl);
      await sendMessage(spec.entry, message, {
        ...(this.ctx.notify?.smtp ? { smtp: this.ctx.notify.smtp } : {}),
        resolve: { baseDir: this.ctx.notify?.baseDir ?? ".", providers: this.ctx.secretProviders },
        id: row.id,
        now: this.ctx.now(),
      });
      await updateNotification(db, row.id, {
        status: "sent",
        attempts,
        next_at: row.next_at,
        last_error: null,
        sent_at: this.ctx.now(),
      });
      return true;
    } catch (error) {
      const last = attempts >= MAX_ATTEMPTS;
      await updateNotification(db, row.id, {
        status: last ? "failed" : "queued",
        attempts,
        next_at: this.ctx.now() + backoffMs(attempts),
        last_error: (error as Error).message.slice(0, 1000),
        sent_at: null,
      });
      if (!last) this.lookIn(backoffMs(attempts));
      return false;
    }
  }

  /**
   * The failed step's last log lines, masked with the run's masker: the secrets the worker masked as
   * it wrote them stay masked, and the run's secret inputs are masked once more here.
   */
  private async lastLines(spec: NotificationSpec): Promise<string[]> {
    const step = spec.facts.failed_step;
    if (!step) return [];
    const { db } = this.ctx.database;
    const run = await getRun(db, spec.facts.run_id);
    if (!run) return [];
    let masker: Masker = new Masker();
    try {
      const definition = await this.ctx.definitions.at(db, run.revision);
      const info: RunInfo = runInfo(run, this.ctx.box);
      masker = secretMasker(definition.workflow, info);
    } catch {
      // The definition is gone (retention): the lines as stored are masked already.
    }
    const tail: string[] = [];
    for await (const batch of streamLogLines(db, this.options.logArchive, run.id, { step })) {
      for (const line of batch) {
        tail.push(masker.mask(line.text));
        if (tail.length > LOG_LINES) tail.shift();
      }
    }
    return tail;
  }
}
