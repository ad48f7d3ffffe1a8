import type { Readable } from "node:stream";

export type { LogLine } from "@gantry/core";

/** Bytes `start` to `end - 1` of an object (`end` omitted: to its end). */
export interface ByteRange {
  start: number;
  end?: number;
}

/**
 * Where finished steps' logs are kept: a local folder, or S3 (or MinIO). A log can be hundreds of MB,
 * so the worker and the server move it with `putFile` and `open`, which stream; `put` and `get` hold
 * the whole object and are for small ones (tests, tools).
 */
export interface LogArchiveLike {
  put(key: string, body: string): Promise<void>;
  /** Uploads the file at `file`, `bytes` long, as the object `key` without reading it into memory. */
  putFile(key: string, file: string, bytes: number): Promise<void>;
  /** Undefined when there is no such object. */
  get(key: string): Promise<string | undefined>;
  /** The object's bytes (or those of `range`) as a stream; undefined when there is no such object. */
  open(key: string, range?: ByteRange): Promise<Readable | undefined>;
  delete(keys: string[]): Promise<void>;
}

/** The object key of one step attempt's log. */
export function archiveKey(runId: string, step: string, item: number, attempt: number): string {
  return `${runId}/${step}.${item}.${attempt}.jsonl`;
}
