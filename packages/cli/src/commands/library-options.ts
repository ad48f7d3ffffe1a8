import path from "node:path";
import { GitCache, type LoadOptions, libraryResolver, secretResolver } from "@gantry/engine";
import { readConfigFile } from "../roles/config.js";

/**
 * The config's `libraries:`, fetched into the same cache the server uses (`<data>/git`), so a library
 * action or workflow is loaded at the commit its ref names now, as the server would pin it (`gantry
 * validate`, `gantry run`). Without a config, library steps are reported as not configured.
 */
export async function libraryLoadOptions(flag: string | undefined): Promise<LoadOptions> {
  const file = flag ?? process.env.GANTRY_CONFIG ?? "gantry.yaml";
  const config = await readConfigFile(file, flag !== undefined || process.env.GANTRY_CONFIG !== undefined);
  const libraries = config.libraries ?? [];
  if (libraries.length === 0) return {};
  const configDir = path.dirname(path.resolve(file));
  const data = process.env.GANTRY_DATA ?? config.data ?? ".gantry";
  return {
    libraries: libraryResolver(
      new GitCache(path.resolve(data, "git")),
      libraries.map((l) => ({
        ...l,
        // A local path is relative to the config file, as for the server.
        url: /^\.{0,2}\//.test(l.url) ? path.resolve(configDir, l.url) : l.url,
      })),
      secretResolver(configDir),
    ),
  };
}
