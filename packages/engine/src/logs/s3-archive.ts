import { createReadStream } from "node:fs";
import { Readable } from "node:stream";
import type { S3Client } from "@aws-sdk/client-s3";
import type { ByteRange, LogArchiveLike } from "./types.js";

export interface S3ArchiveOptions {
  bucket: string;
  prefix?: string;
  endpoint?: string;
  region?: string;
  forcePathStyle?: boolean;
  /**
   * Files larger than this go up in parts (multipart upload); smaller ones in one PutObject. Either
   * way the file is streamed from disk, one part at a time. Default 16 MiB.
   */
  multipartAboveBytes?: number;
  /** The size of each part: at least 5 MiB on S3 (the last excepted); at most 10,000 parts. Default 8 MiB. */
  partBytes?: number;
}

const CONTENT_TYPE = "application/x-ndjson";

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
        // By default the SDK checksums every upload, a streamed one by sending it as aws-chunked with a
        // trailer, which S3-compatible stores (s3rver, older MinIO) keep verbatim as the object's bytes.
        // S3 requires no checksum for PutObject/UploadPart; TLS and Content-Length guard the transfer.
        requestChecksumCalculation: "WHEN_REQUIRED",
        responseChecksumValidation: "WHEN_REQUIRED",
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
        ContentType: CONTENT_TYPE,
      }),
    );
  }

  async putFile(key: string, file: string, bytes: number): Promise<void> {
    const { s3, sdk } = await this.connect();
    const Bucket = this.options.bucket;
    const Key = this.key(key);
    if (bytes <= (this.options.multipartAboveBytes ?? 16 * 1024 * 1024)) {
      // A file stream with its length: the SDK sends it as it reads it.
      await s3.send(
        new sdk.PutObjectCommand({
          Bucket,
          Key,
          Body: createReadStream(file),
          ContentLength: bytes,
          ContentType: CONTENT_TYPE,
        }),
      );
      return;
    }
    // PutObject takes at most 5 GB and retries a failure from the start: past 16 MiB, parts.
    // (@aws-sdk/lib-storage would do this, but is not a dependency; these are its three calls.)
    const partBytes = Math.max(this.options.partBytes ?? 8 * 1024 * 1024, Math.ceil(bytes / 10_000));
    const { UploadId } = await s3.send(
      new sdk.CreateMultipartUploadCommand({ Bucket, Key, ContentType: CONTENT_TYPE }),
    );
    try {
      const parts: Array<{ ETag: string | undefined; PartNumber: number }> = [];
      for (let start = 0, PartNumber = 1; start < bytes; start += partBytes, PartNumber++) {
        const end = Math.min(bytes, start + partBytes);
        const reply = await s3.send(
          new sdk.UploadPartCommand({
            Bucket,
            Key,
            UploadId,
            PartNumber,
            Body: createReadStream(file, { start, end: end - 1 }),
            ContentLength: end - start,
          }),
        );
        parts.push({ ETag: reply.ETag, PartNumber });
      }
      await s3.send(
        new sdk.CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts: parts } }),
      );
    } catch (error) {
      // Parts of an abandoned upload are billed until aborted.
      await s3.send(new sdk.AbortMultipartUploadCommand({ Bucket, Key, UploadId })).catch(() => {});
      throw error;
    }
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

  async open(key: string, range?: ByteRange): Promise<Readable | undefined> {
    if (range?.end !== undefined && range.end <= range.start) return Readable.from([]);
    const { s3, sdk } = await this.connect();
    try {
      const reply = await s3.send(
        new sdk.GetObjectCommand({
          Bucket: this.options.bucket,
          Key: this.key(key),
          ...(range ? { Range: `bytes=${range.start}-${range.end !== undefined ? range.end - 1 : ""}` } : {}),
        }),
      );
      // In Node the body is the HTTP response itself: read as it arrives, never buffered whole.
      return (reply.Body as Readable | undefined) ?? Readable.from([]);
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
