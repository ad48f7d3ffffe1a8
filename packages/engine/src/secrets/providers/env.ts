import { ProviderError } from "../errors.js";
import type { SecretProvider } from "../provider.js";

/** `ref+env://NAME`: a variable of the resolver's environment. A `#/pointer` reads it as JSON or YAML. */
export const envProvider: SecretProvider = {
  name: "env",
  async resolve(ref, ctx) {
    const value = ctx.env[ref.path];
    if (value === undefined)
      throw new ProviderError("not-found", `environment variable ${ref.path} is not set`);
    return { value, format: "text" };
  },
};
