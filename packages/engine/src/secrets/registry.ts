import type { SecretProvider } from "./provider.js";
import { builtinProviders } from "./providers/index.js";

/**
 * The providers `ref+<provider>://` references resolve through: the built-in ones, plus any a caller
 * registers. A value, not a process-wide table: whoever resolves with extra providers passes theirs in
 * ResolveOptions.providers.
 */
export class SecretProviders {
  private readonly providers: Map<string, SecretProvider>;

  constructor(providers: readonly SecretProvider[] = builtinProviders) {
    this.providers = new Map(providers.map((p) => [p.name, p]));
  }

  /** Adds (or replaces) a provider for `ref+<provider.name>://` references. */
  register(provider: SecretProvider): void {
    this.providers.set(provider.name, provider);
  }

  get(name: string): SecretProvider | undefined {
    return this.providers.get(name);
  }

  names(): string[] {
    return [...this.providers.keys()].sort();
  }
}

/** The built-in providers, for resolving without a SecretProviders of one's own (it is never changed). */
export const BUILTIN_SECRET_PROVIDERS: Pick<SecretProviders, "get" | "names"> = new SecretProviders();
