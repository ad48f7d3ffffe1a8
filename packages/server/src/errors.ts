import { ConflictError, InvalidInputError, NotFoundError } from "@gantry/engine";
import type { FastifyError, FastifyInstance } from "fastify";

/**
 * One error shape for every route: `{error, errors?: [{field, message}]}`. A 400 names the failing
 * field; nothing internal (stack, SQL) reaches the client.
 */
export function registerErrorHandler(
  app: FastifyInstance,
  onInternalError?: (error: Error, where: string) => void,
): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof InvalidInputError) {
      return reply.code(400).send({ error: error.message, errors: error.errors });
    }
    if (error instanceof NotFoundError) return reply.code(404).send({ error: error.message });
    if (error instanceof ConflictError) return reply.code(409).send({ error: error.message });
    if (error.validation) {
      const errors = error.validation.map((v) => ({
        field: fieldOf(v.instancePath, v.params as Record<string, unknown>, error.validationContext),
        message: `${error.validationContext ?? "request"}${v.instancePath.replace(/\//g, ".")} ${v.message ?? "is not valid"}`,
      }));
      return reply.code(400).send({ error: errors.map((e) => e.message).join("; "), errors });
    }
    if ((error.statusCode ?? 500) < 500)
      return reply.code(error.statusCode ?? 400).send({ error: error.message });
    request.log.error({ err: error }, "request failed");
    onInternalError?.(error, `${request.method} ${request.routeOptions.url ?? request.url.split("?")[0]}`);
    return reply.code(500).send({ error: "internal error" });
  });
}

function fieldOf(instancePath: string, params: Record<string, unknown>, context: string | undefined): string {
  const extra = params.missingProperty ?? params.additionalProperty;
  const parts = [...instancePath.split("/").filter(Boolean), ...(extra ? [String(extra)] : [])];
  return parts.join(".") || (context ?? "request");
}
