/** What a conversion may be told; every field has a default. */
export interface ImportOptions {
  /** Where actions the conversion writes go, relative to the output folder (default `actions`). */
  actionsDir?: string;
  /**
   * How workflows name that folder in `uses:`: relative to the root of the git repository that will hold
   * the output (default `./actions`, right when the output folder is the repository's root).
   */
  actionsUses?: string;
  /** The runner for Kubernetes CronJob containers (default kubernetes). */
  runner?: "kubernetes" | "docker";
}

export interface ResolvedOptions {
  actionsDir: string;
  actionsUses: string;
  runner: "kubernetes" | "docker";
}

export function resolveOptions(options: ImportOptions = {}): ResolvedOptions {
  const actionsDir = (options.actionsDir ?? "actions").replace(/\/+$/, "");
  const uses = (options.actionsUses ?? `./${actionsDir}`).replace(/\/+$/, "");
  return {
    actionsDir,
    actionsUses: uses.startsWith("./") || uses.startsWith("../") ? uses : `./${uses}`,
    runner: options.runner ?? "kubernetes",
  };
}
