import { constants } from "node:fs";
import { open } from "node:fs/promises";
import { OUTPUT_FILE_LIMIT_BYTES } from "@gantry/core";

/**
 * The head of a file a step wrote for the worker to read (its outputs, its summary): at most `limit`
 * bytes, opened without blocking and read only when it is a regular file, so a step that replaces it
 * with a FIFO or a device cannot stall or flood the worker. Undefined when the file is gone or empty.
 */
export async function readStepFile(file: string, limit: number): Promise<string | undefined> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new NotAFileError();
    // Sized to the file (most are empty): a megabyte zeroed for each step costs more than its run.
    const size = Math.min(info.size, limit);
    if (size === 0) return undefined;
    const buffer = Buffer.alloc(size);
    const { bytesRead } = await handle.read(buffer, 0, size, 0);
    return bytesRead === 0 ? undefined : buffer.subarray(0, bytesRead).toString("utf8");
  } finally {
    await handle.close();
  }
}

/** What a step put in place of such a file: a FIFO, a device, a folder. */
export class NotAFileError extends Error {
  constructor() {
    super("not a regular file");
  }
}

/** The message of a step whose output file was replaced by something else. */
export const OUTPUT_NOT_A_FILE = "$GANTRY_OUTPUT was replaced by something that is not a regular file";

/**
 * A step's output file, one byte over the limit at most (parseOutputFile then says it is too large).
 * Throws OUTPUT_NOT_A_FILE's message when it is not a regular file.
 */
export async function readOutputFile(file: string): Promise<string> {
  try {
    return (await readStepFile(file, OUTPUT_FILE_LIMIT_BYTES + 1)) ?? "";
  } catch (error) {
    throw error instanceof NotAFileError ? new Error(OUTPUT_NOT_A_FILE) : error;
  }
}
