import { open } from "node:fs/promises";

/** GitHub Actions' limit for one step's summary; a larger file is cut there, with a note saying so. */
export const SUMMARY_LIMIT_BYTES = 1024 * 1024;

/** The note that ends a summary cut at the limit. */
export const SUMMARY_CUT_NOTE = `\n\n*(summary cut at ${SUMMARY_LIMIT_BYTES / 1024} KiB)*\n`;

/**
 * The first `limit + 1` bytes of a summary file (one more than kept, to tell a cut file from a full
 * one), or undefined when the step wrote nothing or the file is gone. A step may write gigabytes
 * there; only this much is ever read.
 */
export async function readSummaryHead(
  file: string,
  limit = SUMMARY_LIMIT_BYTES,
): Promise<string | undefined> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(file, "r");
  } catch {
    return undefined;
  }
  try {
    // Sized to the file (most are empty): a megabyte zeroed for each step costs more than its run.
    const info = await handle.stat();
    const size = info.isFile() ? Math.min(info.size, limit + 1) : limit + 1;
    if (size === 0) return undefined;
    const buffer = Buffer.alloc(size);
    const { bytesRead } = await handle.read(buffer, 0, size, 0);
    return bytesRead === 0 ? undefined : buffer.subarray(0, bytesRead).toString("utf8");
  } finally {
    await handle.close();
  }
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
