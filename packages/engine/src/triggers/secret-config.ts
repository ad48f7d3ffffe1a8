import process from "node:process";
import type { SecretProviders } from "../secrets/registry.js";
import { resolveRefsDeep } from "../secrets/resolve.js";

/**
 * Resolves the secret references in a trigger's entry (`url: ref+env://AMQP_URL`) just before it
 * connects, every time it connects (a rotated secret is picked up at the next reconnect). The resolved
 * values stay in the listener's memory: the store and the API keep the references.
 */
export async function resolveTriggerConfig(
  config: Record<string, unknown>,
  providers: SecretProviders,
): Promise<Record<string, unknown>> {
  return (await resolveRefsDeep(config, { baseDir: process.cwd(), providers })) as Record<string, unknown>;
}
