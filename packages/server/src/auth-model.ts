/**
 * The roles, scopes and auth settings without the HTTP stack: what the CLI's configuration reads of
 * the server (`@gantry/server/auth-model`). The package's main entry loads fastify, its plugins and
 * prom-client, which `gantry run` never needs and which were most of its start-up's CPU.
 */
export { checkScope, inScope } from "./auth/scope.js";
export * from "./auth/types.js";
