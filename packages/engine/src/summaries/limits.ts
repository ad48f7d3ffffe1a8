import { readStepFile } from "../runners/output-file.js";

/** GitHub Actions' limit for one step's summary; a larger file is cut there, with a note saying so. */
export const SUMMARY_LIMIT_BYTES = 1024 * 1024;

/** The note that ends a summary cut at the limit. */
export const SUMMARY_CUT_NOTE = `\n\n*(summary cut at ${SUMMARY_LIMIT_BYTES / 1024} KiB)*\n`;

/**
 * The first `limit + 1` bytes of a summary file (one more than kept, to tell a cut file from a full
 * one), or undefined when the step wrote nothing, the file is gone or it is no longer a regular file
 * (a FIFO would stall the read). A step may write gigabytes there; only this much is ever read.
 */
export async function readSummaryHead(
  file: string,
  limit = SUMMARY_LIMIT_BYTES,
): Promise<string | undefined> {
  // The summary is a report, not a result: what cannot be read is no summary.
  return readStepFile(file, limit + 1).catch(() => undefined);
}

/** A summary as stored: at most the limit (cut on a character, with a note), undefined when blank. */
export function boundedSummary(text: string | undefined, limit = SUMMARY_LIMIT_BYTES): string | undefined {
  if (text === undefined || text.trim() === "") return undefined;
  if (Buffer.byteLength(text) <= limit) return text;
  // Cut on a character boundary: the bytes up to the limit, decoded, lose a split last character.
  const cut = Buffer.from(text)
    .subarray(0, limit)
    .toString("utf8")
    .replace(/\uFFFD$/, "");
  return cut + SUMMARY_CUT_NOTE;
}
