import path from "node:path";
import type { GitCache } from "../git/cache.js";
import { redactUrl } from "../git/run-git.js";
import type { LibraryPin, LibraryResolver } from "../loader/load-workflow.js";
import { resolveCredentials, type SecretResolver, type SourceConfig } from "./config.js";

/** `libraries:` in gantry.yaml: repositories of actions that workflows use as `<name>/<path>@<ref>`. */
export interface LibraryConfig {
  name: string;
  url: string;
  credentials?: SourceConfig["credentials"];
  /**
   * `sha`: every `uses:` of this library must name a full commit id; a branch or tag (which whoever can
   * push to the library can move, as happened to tj-actions/changed-files) is refused. Default `ref`.
   */
  pin?: "sha" | "ref";
}

const FULL_SHA = /^[0-9a-f]{40}$/;

/**
 * A resolver for one load of a set of workflows (one sync): each library is fetched at most once, each
 * `<ref>` resolved once, so every workflow of a commit pins the same library commit. The pin (ref →
 * commit) goes into the workflow's definition, and so into every run of it and its re-runs.
 */
export function libraryResolver(
  cache: GitCache,
  libraries: LibraryConfig[],
  resolveSecret: SecretResolver,
): LibraryResolver {
  const byName = new Map(libraries.map((l) => [l.name, l]));
  const fetched = new Map<string, Promise<string | undefined>>();
  const commits = new Map<string, Promise<string | undefined>>();
  return async ({ library, path: actionPath, ref }) => {
    const config = byName.get(library);
    if (!config) {
      const known = [...byName.keys()];
      return {
        error: `library '${library}' is not configured (libraries are declared in gantry.yaml${known.length ? `: ${known.join(", ")}` : ""})`,
      };
    }
    const shaOnly = config.pin === "sha" && !FULL_SHA.test(ref);
    let fetch = fetched.get(library);
    if (!fetch) {
      fetch = resolveCredentials(config.credentials, resolveSecret)
        .then((credentials) => cache.fetch(config.url, credentials))
        .then(
          () => undefined,
          (error: Error) => error.message,
        );
      fetched.set(library, fetch);
    }
    const fetchError = await fetch;
    if (fetchError) return { error: `library '${library}': ${fetchError}` };
    const key = `${library}@${ref}`;
    let commit = commits.get(key);
    if (!commit) {
      commit = cache.resolve(config.url, ref).then((r) => r?.commit);
      commits.set(key, commit);
    }
    const sha = await commit;
    if (!sha)
      return {
        error: `'${ref}' is not a branch, tag or commit of library '${library}' (${redactUrl(config.url)})`,
      };
    if (shaOnly)
      return {
        error: `library '${library}' takes only full commit SHAs (pin: sha): '${ref}' is a branch or tag that can move; use @${sha} (what '${ref}' is now)`,
      };
    const root = await cache.tree(config.url, sha);
    const pin: LibraryPin = { library, path: actionPath, ref, commit: sha };
    return { dir: path.resolve(root, actionPath), root, pin };
  };
}
