import { ProviderError } from "../errors.js";
import type { SecretProvider } from "../provider.js";

/**
 * `ref+awssecrets://name-or-arn[?region=..&version_stage=..&version_id=..&endpoint=..&profile=..]#/key`:
 * an AWS Secrets Manager secret. A JSON SecretString can be pointed into; SecretBinary comes back as bytes.
 * Region from `region`, AWS_REGION or AWS_DEFAULT_REGION; endpoint from `endpoint`,
 * AWS_ENDPOINT_URL_SECRETS_MANAGER or AWS_ENDPOINT_URL (LocalStack, tests). Credentials from AWS_ACCESS_KEY_ID /
 * AWS_SECRET_ACCESS_KEY in the resolver's env, else the SDK's default chain (profile, SSO, IMDS, ...).
 */
export const awsSecretsProvider: SecretProvider = {
  name: "awssecrets",
  async resolve(ref, ctx) {
    // ~2 MB of SDK: loaded with the first awssecrets reference, not at start-up.
    const { SecretsManagerClient, GetSecretValueCommand } = await import("@aws-sdk/client-secrets-manager");
    const env = ctx.env;
    const accessKeyId = env.AWS_ACCESS_KEY_ID;
    const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
    const client = new SecretsManagerClient({
      region: ref.params.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION,
      endpoint: ref.params.endpoint ?? env.AWS_ENDPOINT_URL_SECRETS_MANAGER ?? env.AWS_ENDPOINT_URL,
      profile: ref.params.profile,
      credentials:
        accessKeyId && secretAccessKey
          ? { accessKeyId, secretAccessKey, sessionToken: env.AWS_SESSION_TOKEN }
          : undefined,
    });
    try {
      const out = await client.send(
        new GetSecretValueCommand({
          SecretId: ref.path,
          VersionStage: ref.params.version_stage,
          VersionId: ref.params.version_id,
        }),
        { abortSignal: ctx.signal },
      );
      if (out.SecretString !== undefined) return { value: out.SecretString, format: "text" };
      if (out.SecretBinary !== undefined) return { value: Buffer.from(out.SecretBinary), format: "binary" };
      throw new ProviderError("not-found", `secret ${ref.path} has neither SecretString nor SecretBinary`);
    } catch (err) {
      if (err instanceof ProviderError) throw err;
      const name = (err as Error).name;
      // AWS error messages describe the request ("can't find the specified secret"), never the value.
      const message = `AWS Secrets Manager: ${name}: ${(err as Error).message}`;
      if (name === "ResourceNotFoundException") throw new ProviderError("not-found", message);
      throw new ProviderError("provider", message, { cause: err });
    } finally {
      client.destroy();
    }
  },
};
