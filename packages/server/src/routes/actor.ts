import type { FastifyRequest } from "fastify";

/**
 * Who started a run, as its trigger records it (`trigger.actor`, as GitHub's `github.actor`): approvals
 * refuse this person unless `allow_self`, and the Deployments page shows the name.
 */
export function actorOf(request: FastifyRequest): { actor?: string; actor_name?: string } {
  const p = request.principal;
  return p ? { actor: p.id, actor_name: p.name } : {};
}
