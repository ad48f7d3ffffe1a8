import type { SecretProvider } from "../provider.js";
import { awsSecretsProvider } from "./awssecrets.js";
import { envProvider } from "./env.js";
import { fileProvider } from "./file.js";
import { gcpSecretsProvider } from "./gcpsecrets.js";
import { sopsProvider } from "./sops.js";
import { vaultProvider } from "./vault.js";

/** The providers every resolver knows. Adding one is its own file plus one line here. */
export const builtinProviders: readonly SecretProvider[] = [
  envProvider,
  fileProvider,
  sopsProvider,
  awsSecretsProvider,
  gcpSecretsProvider,
  vaultProvider,
];
