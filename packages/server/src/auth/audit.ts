import { store } from "@gantry/engine";
import type { FastifyRequest } from "fastify";
import type { ServerContext } from "../context.js";
import type { Principal } from "./types.js";

/** Records who did what. Failures to write are logged, never turned into a failed request. */
export async function audit(
  ctx: ServerContext,
  request: FastifyRequest,
  principal: Principal | undefined,
  action: string,
  target: string | null,
  detail?: Record<string, unknown>,
): Promise<void> {
  try {
    await store.insertAudit(ctx.service.database.db, {
      at: ctx.service.now(),
      actor: principal?.id ?? "anonymous",
      actor_name: principal?.name ?? "anonymous",
      action,
      target,
      detail_json: detail ? JSON.stringify(detail) : null,
      ip: request.ip,
    });
  } catch (error) {
    request.log.error({ err: error }, "audit log write failed");
  }
}
