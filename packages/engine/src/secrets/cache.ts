import type { ProviderValue } from "./provider.js";

export interface SecretCacheEntry {
  expiresAt: number;
  value: Promise<ProviderValue>;
}

/**
 * Provider values a run has fetched, keyed by the reference without its pointer: `ref+sops://a.yaml#/x` and
 * `#/y` share one decryption, and ten steps using one Vault secret make one request. The promise is stored,
 * so concurrent lookups of one key wait for the same fetch. Failures are not kept (the next lookup retries).
 * Keep one cache per run (one env): the key does not include credentials.
 */
export interface SecretCache {
  readonly ttlMs: number;
  readonly entries: Map<string, SecretCacheEntry>;
  readonly now: () => number;
}

/** `ttlMs` bounds how stale a rotated secret may be within a long run; Infinity keeps values for the run. */
export function createSecretCache(ttlMs: number, now: () => number = Date.now): SecretCache {
  return { ttlMs, entries: new Map(), now };
}

export function cached(
  cache: SecretCache,
  key: string,
  load: () => Promise<ProviderValue>,
): Promise<ProviderValue> {
  const hit = cache.entries.get(key);
  if (hit && hit.expiresAt > cache.now()) return hit.value;
  const value = load();
  const entry = { expiresAt: cache.now() + cache.ttlMs, value };
  cache.entries.set(key, entry);
  value.catch(() => {
    if (cache.entries.get(key) === entry) cache.entries.delete(key);
  });
  return value;
}
