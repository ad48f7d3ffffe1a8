import type { Stream } from "../runners/types.js";

/** One line of a step's output, as stored, archived, served and streamed. */
export interface LogLine {
  /** Position in the run's log, from 0; a follower resumes with `after=<offset>`. */
  offset: number;
  step: string;
  /** The item of a for_each step (0 otherwise). */
  item: number;
  attempt: number;
  stream: Stream;
  /** ms since the epoch, when the worker read the line. */
  ts: number;
  text: string;
}

/** Where finished steps' logs are kept: a local folder, or S3 (or MinIO). */
export interface LogArchiveLike {
  put(key: string, body: string): Promise<void>;
  /** Undefined when there is no such object. */
  get(key: string): Promise<string | undefined>;
  delete(keys: string[]): Promise<void>;
}

/** The object key of one step attempt's log. */
export function archiveKey(runId: string, step: string, item: number, attempt: number): string {
  return `${runId}/${step}.${item}.${attempt}.jsonl`;
}
