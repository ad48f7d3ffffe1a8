import type { SecretProvider } from "./provider.js";
import { builtinProviders } from "./providers/index.js";

/**
 * The providers `ref+<provider>://` references resolve through: the built-in ones, plus any a caller
 * registers. A value, not a process-wide table: the roles in packages/cli make one per process (in the
 * ServiceContext) and whoever resolves passes it in ResolveOptions.providers.
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
