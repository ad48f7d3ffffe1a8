import { store } from "@gantry/engine";
import type { FastifyRequest } from "fastify";
import type { ServerContext } from "../context.js";
import type { Principal } from "./types.js";

/**
 * The process's writer of audit entries: those of requests answered while others are being written go
 * in together (50 runs started at once wrote 50 rows one by one before their answers, each waiting for
 * a connection of the pool the runs' own statements need).
 */
function writerFor(ctx: ServerContext): store.GroupCommit<store.AuditEntry, void> {
  const { database } = ctx.service;
  return ctx.service.groupCommits.of(
    "audit-entries",
    database,
    () =>
      new store.GroupCommit<store.AuditEntry, void>(
        async (entries) => {
          await store.insertAudits(database.db, entries);
          return entries.map(() => undefined);
        },
        { maxItems: 200, maxInFlight: 2 },
      ),
  );
}

/**
 * Records who did what, before the request is answered. Failures to write are logged, never turned
 * into a failed request.
 */
export async function audit(
  ctx: ServerContext,
  request: FastifyRequest,
  principal: Principal | undefined,
  action: string,
  target: string | null,
  detail?: Record<string, unknown>,
): Promise<void> {
  try {
    await writerFor(ctx).add(auditEntry(ctx, request, principal, action, target, detail));
  } catch (error) {
    request.log.error({ err: error }, "audit log write failed");
    ctx.onInternalError?.(error as Error, `audit of ${action}`);
  }
}

/** The row recording who did what. */
export function auditEntry(
  ctx: ServerContext,
  request: FastifyRequest,
  principal: Principal | undefined,
  action: string,
  target: string | null,
  detail?: Record<string, unknown>,
): store.AuditEntry {
  return {
    at: ctx.service.now(),
    actor: principal?.id ?? "anonymous",
    actor_name: principal?.name ?? "anonymous",
    action,
    target,
    detail_json: detail ? JSON.stringify(detail) : null,
    ip: request.ip,
  };
}
