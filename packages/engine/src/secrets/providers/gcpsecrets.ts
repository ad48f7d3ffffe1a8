import { ProviderError } from "../errors.js";
import type { SecretProvider } from "../provider.js";

type GcpModule = typeof import("@google-cloud/secret-manager");
type ClientOptions = NonNullable<ConstructorParameters<GcpModule["SecretManagerServiceClient"]>[0]>;

/** gRPC status codes the client reports in `err.code`. */
const NOT_FOUND = 5;

/**
 * `ref+gcpsecrets://PROJECT/SECRET[?version=N&endpoint=URL]#/key`: a Google Secret Manager secret version
 * (default "latest"), as text. Through @google-cloud/secret-manager in its REST mode (`fallback: true`): it is
 * the lighter transport (no gRPC channel) and can point at any http(s) endpoint (`endpoint`, or
 * GANTRY_GCPSECRETS_ENDPOINT), so the path tested against a local server is the path used in production.
 * Auth: a bearer token from GOOGLE_OAUTH_ACCESS_TOKEN (as gcloud accepts), else the library's default
 * credentials (GOOGLE_APPLICATION_CREDENTIALS, metadata server, gcloud ADC).
 */
export const gcpSecretsProvider: SecretProvider = {
  name: "gcpsecrets",
  async resolve(ref, ctx) {
    const [project, secret, ...extra] = ref.path.split("/");
    if (!project || !secret || extra.length > 0) {
      throw new ProviderError("provider", `expected gcpsecrets://PROJECT/SECRET, got "${ref.path}"`);
    }
    const name = `projects/${project}/secrets/${secret}/versions/${ref.params.version ?? "latest"}`;
    const options: ClientOptions = { fallback: true };
    const endpoint = ref.params.endpoint ?? ctx.env.GANTRY_GCPSECRETS_ENDPOINT;
    if (endpoint) {
      const url = new URL(endpoint);
      options.apiEndpoint = url.hostname;
      options.protocol = url.protocol.replace(/:$/, "");
      options.port = Number(url.port || (url.protocol === "http:" ? 80 : 443));
    }
    const token = ctx.env.GOOGLE_OAUTH_ACCESS_TOKEN;
    // The REST transport calls only getRequestHeaders() and fetch() on its auth client; a two-method object
    // spares a dependency on google-auth-library's classes. The cast is needed because the option's type is
    // the library's full AuthClient class.
    if (token) options.authClient = bearerAuth(token) as unknown as ClientOptions["authClient"];

    // ~10 MB with its protos: loaded with the first gcpsecrets reference, not at start-up.
    const { SecretManagerServiceClient } = await import("@google-cloud/secret-manager");
    const client = new SecretManagerServiceClient(options);
    try {
      const [version] = await client.accessSecretVersion({ name });
      const data = version.payload?.data;
      if (data === null || data === undefined) throw new ProviderError("not-found", `${name} has no payload`);
      return { value: typeof data === "string" ? data : Buffer.from(data).toString("utf8"), format: "text" };
    } catch (err) {
      if (err instanceof ProviderError) throw err;
      const { code, message } = err as { code?: number; message?: string };
      // Google's messages describe the request and permission, never the payload.
      const text = `Google Secret Manager: ${message ?? String(err)}`;
      throw new ProviderError(code === NOT_FOUND ? "not-found" : "provider", text, { cause: err });
    } finally {
      await client.close();
    }
  },
};

function bearerAuth(token: string) {
  const headers = () => new Headers({ Authorization: `Bearer ${token}` });
  return {
    getRequestHeaders: async () => headers(),
    fetch: (url: string | URL, init: RequestInit = {}) => {
      const merged = new Headers(init.headers);
      merged.set("Authorization", `Bearer ${token}`);
      return fetch(url, { ...init, headers: merged });
    },
  };
}
