import cookie from "@fastify/cookie";
import type { FastifyInstance } from "fastify";
import type { ServerContext } from "../context.js";
import { type AuthHook, registerAuthHook } from "./hook.js";
import { authRoutes } from "./routes.js";

export { LOCAL_PRINCIPAL, registeredRoutes } from "./hook.js";
export * from "./keys.js";
export { roleFromClaims } from "./oidc.js";
export { PREFIX_RULES, RULES, ruleFor } from "./rules.js";
export { checkScope, inScope } from "./scope.js";
export * from "./types.js";

/**
 * Authentication and authorisation for the whole app. Call before any route is registered: the hook
 * collects every route (onRoute) and decides every request from the central table in rules.ts.
 */
export async function registerAuth(app: FastifyInstance, ctx: ServerContext): Promise<AuthHook> {
  if (!app.hasRequestDecorator("cookies")) await app.register(cookie);
  const hook = registerAuthHook(app, ctx);
  authRoutes(app, ctx, hook.options);
  return hook;
}
