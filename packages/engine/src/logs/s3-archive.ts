import type { S3Client } from "@aws-sdk/client-s3";
import type { LogArchiveLike } from "./types.js";

export interface S3ArchiveOptions {
  bucket: string;
  prefix?: string;
  endpoint?: string;
  region?: string;
  forcePathStyle?: boolean;
}

/**
 * Finished logs in S3, or anything speaking its protocol (MinIO, s3rver): an endpoint and path-style
 * addressing are all that differ. Credentials come the standard AWS way (environment, profile, role).
 * The SDK is loaded on first use, so a Gantry without S3 never pays for it.
 */
export class S3LogArchive implements LogArchiveLike {
  private client: Promise<{ s3: S3Client; sdk: typeof import("@aws-sdk/client-s3") }> | undefined;

  constructor(private readonly options: S3ArchiveOptions) {}

  private connect() {
    this.client ??= import("@aws-sdk/client-s3").then((sdk) => ({
      sdk,
      s3: new sdk.S3Client({
        ...(this.options.region ? { region: this.options.region } : { region: "us-east-1" }),
        ...(this.options.endpoint ? { endpoint: this.options.endpoint } : {}),
        forcePathStyle: this.options.forcePathStyle ?? false,
        // Fail over to the spool quickly rather than hang a worker on an unreachable endpoint.
        maxAttempts: 2,
      }),
    }));
    return this.client;
  }

  private key(key: string): string {
    return `${this.options.prefix ?? ""}${key}`;
  }

  async put(key: string, body: string): Promise<void> {
    const { s3, sdk } = await this.connect();
    await s3.send(
      new sdk.PutObjectCommand({
        Bucket: this.options.bucket,
        Key: this.key(key),
        Body: body,
        ContentType: "application/x-ndjson",
      }),
    );
  }

  async get(key: string): Promise<string | undefined> {
    const { s3, sdk } = await this.connect();
    try {
      const reply = await s3.send(
        new sdk.GetObjectCommand({ Bucket: this.options.bucket, Key: this.key(key) }),
      );
      return (await reply.Body?.transformToString("utf8")) ?? "";
    } catch (error) {
      if ((error as { name?: string }).name === "NoSuchKey") return undefined;
      throw error;
    }
  }

  async delete(keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    const { s3, sdk } = await this.connect();
    // DeleteObjects takes at most 1000 keys per call.
    for (let i = 0; i < keys.length; i += 1000) {
      await s3.send(
        new sdk.DeleteObjectsCommand({
          Bucket: this.options.bucket,
          Delete: { Objects: keys.slice(i, i + 1000).map((k) => ({ Key: this.key(k) })) },
        }),
      );
    }
  }
}

/** S3 settings from GANTRY_LOGS_S3_* variables; undefined when no bucket is set. */
export function s3OptionsFromEnv(env: NodeJS.ProcessEnv = process.env): S3ArchiveOptions | undefined {
  const bucket = env.GANTRY_LOGS_S3_BUCKET;
  if (!bucket) return undefined;
  return {
    bucket,
    ...(env.GANTRY_LOGS_S3_PREFIX ? { prefix: env.GANTRY_LOGS_S3_PREFIX } : {}),
    ...(env.GANTRY_LOGS_S3_ENDPOINT ? { endpoint: env.GANTRY_LOGS_S3_ENDPOINT } : {}),
    ...(env.GANTRY_LOGS_S3_REGION ? { region: env.GANTRY_LOGS_S3_REGION } : {}),
    ...(env.GANTRY_LOGS_S3_FORCE_PATH_STYLE
      ? { forcePathStyle: /^(1|true|yes)$/i.test(env.GANTRY_LOGS_S3_FORCE_PATH_STYLE) }
      : {}),
  };
}
