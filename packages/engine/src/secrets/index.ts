// The secrets module: helmfile/vals references (`ref+<provider>://path[?params][#/pointer]`), resolved just
// before use. Importing it is cheap: every provider loads its client library on first use.
export { createSecretCache, type SecretCache, type SecretCacheEntry } from "./cache.js";
export { ProviderError, SecretError, type SecretErrorReason } from "./errors.js";
export { applyPointer, parsePointer } from "./pointer.js";
export type { ProviderValue, SecretContext, SecretProvider, ValueFormat } from "./provider.js";
export { type FoundRef, findSecretRefs, isSecretRef, parseSecretRef, type SecretRef } from "./ref.js";
export { SecretProviders } from "./registry.js";
export { type ResolveOptions, resolveRefsDeep, resolveSecretRef } from "./resolve.js";
export { decryptSops, decryptSopsFile, type SopsDecryptOptions, type SopsFormat } from "./sops/index.js";
