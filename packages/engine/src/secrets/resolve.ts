import { cached, createSecretCache, type SecretCache } from "./cache.js";
import { ProviderError, SecretError } from "./errors.js";
import { applyPointer } from "./pointer.js";
import type { ProviderValue, SecretContext } from "./provider.js";
import { findSecretRefs, isSecretRef, parseSecretRef, type SecretRef } from "./ref.js";
import { SecretProviders } from "./registry.js";
import { stringifyValue, structuredValue } from "./structured.js";

export interface ResolveOptions {
  /** Relative `file` and `sops` paths resolve against this directory (the workflow's folder). */
  baseDir: string;
  /** Where providers read their settings and credentials; defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /** Keep one for a run so each reference is fetched once; without it nothing is cached across calls. */
  cache?: SecretCache;
  signal?: AbortSignal;
  /**
   * "value" (default) returns what the reference points at: a string, a number, bytes, or a map/list.
   * "string" returns text, for environment variables and templates: maps and lists are serialised in the
   * format they came from, a whole sops document as its decrypted file.
   */
  as?: "value" | "string";
  /** The providers to resolve through; the built-in ones when absent. */
  providers?: Pick<SecretProviders, "get" | "names">;
  /**
   * References already resolved elsewhere, by reference: an agent's step gets those written in it from
   * the server, which resolved them with its own credentials. They are used as they are.
   */
  resolved?: ReadonlyMap<string, unknown>;
}

/** Resolves one reference. Throws SecretError naming the reference and the reason, never the value. */
export function resolveSecretRef(ref: string, opts: ResolveOptions & { as: "string" }): Promise<string>;
export function resolveSecretRef(ref: string, opts: ResolveOptions): Promise<unknown>;
export async function resolveSecretRef(ref: string, opts: ResolveOptions): Promise<unknown> {
  if (opts.resolved?.has(ref)) {
    const value = opts.resolved.get(ref);
    return opts.as === "string" && typeof value !== "string" ? JSON.stringify(value) : value;
  }
  const parsed = parseSecretRef(ref);
  const pv = await fetchValue(parsed, opts, opts.cache ?? createSecretCache(0));
  try {
    if (parsed.pointer === "") {
      if (opts.as !== "string") return pv.value;
      return pv.text ?? (await stringifyValue(pv.value, pv.format));
    }
    const value = applyPointer(await structuredValue(pv), parsed.pointer);
    return opts.as === "string" ? await stringifyValue(value, pv.format) : value;
  } catch (err) {
    throw asSecretError(ref, err);
  }
}

/**
 * Returns a copy of `value` with every string that is a reference replaced by what it resolves to. Each
 * distinct reference is resolved once, concurrently; the first failure rejects.
 */
export async function resolveRefsDeep(value: unknown, opts: ResolveOptions): Promise<unknown> {
  // Without a run cache, share one within this call so `#/a` and `#/b` of one file decrypt it once.
  const cache = opts.cache ?? createSecretCache(Number.POSITIVE_INFINITY);
  const refs = [...new Set(findSecretRefs(value).map((f) => f.ref))];
  const resolved = new Map(
    await Promise.all(
      refs.map(async (ref) => [ref, await resolveSecretRef(ref, { ...opts, cache })] as const),
    ),
  );
  const rebuild = (node: unknown): unknown => {
    if (isSecretRef(node)) return resolved.get(node);
    if (Array.isArray(node)) return node.map(rebuild);
    if (node !== null && typeof node === "object" && Object.getPrototypeOf(node) === Object.prototype) {
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(node)) {
        // defineProperty, not assignment: a key named __proto__ must stay a key.
        Object.defineProperty(out, key, {
          value: rebuild(item),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return out;
    }
    return node;
  };
  return rebuild(value);
}

async function fetchValue(ref: SecretRef, opts: ResolveOptions, cache: SecretCache): Promise<ProviderValue> {
  const providers = opts.providers ?? new SecretProviders();
  const provider = providers.get(ref.provider);
  if (!provider) {
    throw new SecretError(
      ref.raw,
      "unknown-provider",
      `unknown provider "${ref.provider}" (known: ${providers.names().join(", ")})`,
    );
  }
  const ctx: SecretContext = { baseDir: opts.baseDir, env: opts.env ?? process.env, signal: opts.signal };
  const key = JSON.stringify([ref.provider, ref.path, ref.params, opts.baseDir]);
  try {
    return await cached(cache, key, () => provider.resolve(ref, ctx));
  } catch (err) {
    throw asSecretError(ref.raw, err);
  }
}

function asSecretError(ref: string, err: unknown): SecretError {
  if (err instanceof SecretError && err.ref === ref) return err;
  if (err instanceof ProviderError)
    return new SecretError(ref, err.reason, err.message, { cause: err.cause });
  if (err instanceof SecretError) return new SecretError(ref, err.reason, err.detail, { cause: err.cause });
  // Unexpected failures (a bug, a library error): keep the message, which comes from code, not from the value.
  const message = err instanceof Error ? err.message : String(err);
  return new SecretError(ref, "provider", message, { cause: err });
}
