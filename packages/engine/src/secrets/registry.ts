import type { SecretProvider } from "./provider.js";
import { builtinProviders } from "./providers/index.js";

const providers = new Map<string, SecretProvider>(builtinProviders.map((p) => [p.name, p]));

/** Adds (or replaces) a provider for `ref+<provider.name>://` references. */
export function registerSecretProvider(provider: SecretProvider): void {
  providers.set(provider.name, provider);
}

export function getSecretProvider(name: string): SecretProvider | undefined {
  return providers.get(name);
}

export function secretProviderNames(): string[] {
  return [...providers.keys()].sort();
}
