import { createHash, randomUUID } from "node:crypto";
import path from "node:path";
import type { FilesContext } from "../artifacts/context.js";
import { stringInput } from "../artifacts/context.js";
import { FilesError, insideWorkspace, packFiles, pathPatterns, unpackStream } from "../artifacts/tarball.js";
import {
  cachesByUse,
  deleteCacheRows,
  findCacheByKey,
  findCacheByPrefix,
  insertCache,
  touchCache,
} from "../store/queries/caches.js";
import type { CacheRow } from "../store/queries/ci-results-tables.js";
import { cacheScopes } from "./scope.js";

/** GitHub's limit on a key's length. */
const KEY_LIMIT = 512;

/** What the restore found, for the save at the end of the job. */
export interface CacheRestore {
  hit: boolean;
  matchedKey: string;
}

function keyOf(ctx: FilesContext): string {
  const key = stringInput(ctx.inputs, "key");
  if (key.trim() === "") throw new FilesError("with.key: the cache's key is empty");
  if (key.length > KEY_LIMIT) throw new FilesError(`with.key: longer than ${KEY_LIMIT} characters`);
  if (key.includes(",")) throw new FilesError("with.key: a key may not hold ','");
  return key;
}

/**
 * `gantry/cache` at the start: the entry of `key` in the first scope that has one, else the newest entry
 * of the first `restore_keys` prefix that matches one, unpacked into the workspace.
 */
export async function restoreCache(
  ctx: FilesContext,
  workspace: string,
): Promise<{ outputs: Record<string, string>; restore: CacheRestore }> {
  const key = keyOf(ctx);
  pathPatterns(stringInput(ctx.inputs, "path"), "with.path");
  const prefixes = stringInput(ctx.inputs, "restore_keys")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "");
  const scopes = cacheScopes(ctx.run.info);
  let found: CacheRow | undefined;
  for (const scope of scopes.read) {
    found = await findCacheByKey(ctx.db, scopes.namespace, scope, key);
    for (const prefix of prefixes) {
      if (found) break;
      found = await findCacheByPrefix(ctx.db, scopes.namespace, scope, prefix);
    }
    if (found) break;
  }
  if (!found) {
    ctx.log(
      `gantry/cache: no entry for '${key}'${prefixes.length ? " or its restore_keys" : ""}; it is saved at the end`,
    );
    return { outputs: { cache_hit: "false", matched_key: "" }, restore: { hit: false, matchedKey: "" } };
  }
  const stream = await ctx.objects.open(found.object_key);
  const hit = found.key === key;
  if (!stream) {
    // Its object was evicted by another server meanwhile: a miss, not a failure.
    await deleteCacheRows(ctx.db, [found.id]);
    ctx.log(`gantry/cache: the entry '${found.key}' is gone from the store; treated as a miss`);
    return { outputs: { cache_hit: "false", matched_key: "" }, restore: { hit: false, matchedKey: "" } };
  }
  await unpackStream(stream, insideWorkspace(workspace, ".", "with.path"), found.sha256);
  await touchCache(ctx.db, found.id, ctx.now());
  ctx.log(
    `gantry/cache: restored '${found.key}' (${found.size} bytes, ${found.scope}, sha256 checked)${hit ? "" : ` for '${key}'`}`,
  );
  return {
    outputs: { cache_hit: String(hit), matched_key: found.key },
    restore: { hit, matchedKey: found.key },
  };
}

/**
 * `gantry/cache` at the end of the job, when it succeeded and the key missed: packs `path` and records
 * it in the run's own scope, then evicts the namespace's least recently used entries beyond its budget.
 */
export async function saveCache(ctx: FilesContext, workspace: string, restore: CacheRestore): Promise<void> {
  const key = keyOf(ctx);
  if (restore.hit) {
    ctx.log(`gantry/cache: '${key}' was restored, so it is not saved again`);
    return;
  }
  const scopes = cacheScopes(ctx.run.info);
  if (await findCacheByKey(ctx.db, scopes.namespace, scopes.write, key)) {
    ctx.log(`gantry/cache: another run saved '${key}' meanwhile; kept that one`);
    return;
  }
  const tarball = await packFiles(
    workspace,
    pathPatterns(stringInput(ctx.inputs, "path"), "with.path"),
    path.join(ctx.scratch, "cache.tar.gz"),
    ctx.limits.cacheBytes,
    "with.path",
  );
  if (tarball.files === 0) {
    ctx.log(`gantry/cache: warning: nothing matches with.path; '${key}' not saved`);
    return;
  }
  const id = randomUUID();
  const objectKey = `caches/${createHash("sha256").update(scopes.namespace).digest("hex").slice(0, 24)}/${id}.tar.gz`;
  await ctx.objects.putFile(objectKey, tarball.file, tarball.size);
  const now = ctx.now();
  const inserted = await insertCache(ctx.db, {
    id,
    namespace: scopes.namespace,
    scope: scopes.write,
    key,
    object_key: objectKey,
    size: tarball.size,
    sha256: tarball.sha256,
    created_at: now,
    last_used_at: now,
  });
  if (!inserted) {
    await ctx.objects.delete([objectKey]);
    ctx.log(`gantry/cache: another run saved '${key}' meanwhile; kept that one`);
    return;
  }
  ctx.log(
    `gantry/cache: saved '${key}' (${tarball.files} file(s), ${tarball.size} bytes) to ${scopes.write}`,
  );
  await evict(ctx, scopes.namespace, id);
}

/** Deletes the least recently used entries until the namespace fits its budget (never `keep`). */
async function evict(ctx: FilesContext, namespace: string, keep: string): Promise<void> {
  const entries = await cachesByUse(ctx.db, namespace);
  let total = entries.reduce((sum, e) => sum + Number(e.size), 0);
  const evicted: CacheRow[] = [];
  for (const entry of entries) {
    if (total <= ctx.limits.cacheTotalBytes) break;
    if (entry.id === keep) continue;
    evicted.push(entry);
    total -= Number(entry.size);
  }
  if (evicted.length === 0) return;
  await deleteCacheRows(
    ctx.db,
    evicted.map((e) => e.id),
  );
  await ctx.objects.delete(evicted.map((e) => e.object_key));
  ctx.log(
    `gantry/cache: evicted ${evicted.length} least recently used entr${evicted.length === 1 ? "y" : "ies"} (${evicted.map((e) => `'${e.key}'`).join(", ")}) to stay within ${ctx.limits.cacheTotalBytes} bytes`,
  );
}
