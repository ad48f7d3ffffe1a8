import { environmentName, type StepSpec } from "@gantry/core";
import { type ResolveOptions, resolveSecretRef } from "../secrets/index.js";
import type { EnvironmentConfig } from "../service/environments.js";

/** Where a worker finds the environments' secrets: gantry.yaml's entries, relative to its folder. */
export interface EnvironmentSecretsSource {
  environments: EnvironmentConfig[];
  baseDir: string;
}

/**
 * The secrets of the environment a step deploys to, resolved just before it runs, for
 * `${{ secrets.NAME }}` (they win over the workflow's own). Other steps of the run never see them.
 */
export async function environmentSecrets(
  step: StepSpec | undefined,
  source: EnvironmentSecretsSource | undefined,
  options: Omit<ResolveOptions, "baseDir">,
): Promise<Record<string, string>> {
  const name = environmentName(step?.environment);
  if (!name) return {};
  const env = source?.environments.find((e) => e.name === name);
  const entries = await Promise.all(
    Object.entries(env?.secrets ?? {}).map(
      async ([key, ref]) =>
        [
          key,
          await resolveSecretRef(ref, { ...options, baseDir: source?.baseDir ?? ".", as: "string" }),
        ] as const,
    ),
  );
  return Object.fromEntries(entries);
}
