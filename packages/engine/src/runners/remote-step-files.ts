import { OUTPUT_FILE_LIMIT_BYTES } from "@gantry/core";
import { SUMMARY_LIMIT_BYTES } from "../summaries/limits.js";

/**
 * Shell words (already quoted for `sh`, or `"$1/output"`-style expansions) naming a step's files on a
 * machine the worker reaches only through a shell: an ssh node, a pod.
 */
export interface RemoteStepFiles {
  output: string;
  summary: string;
  dir: string;
  /** A line no step can have written, printed between the two reads. */
  separator: string;
}

/**
 * Prints a step's output file, a line with the separator and the head of its summary, then removes its
 * folder, in one command (each costs a login shell or an exec round trip); exits with the output read's
 * status (not 0 when the step removed the file). Each read takes at most one byte over its limit, as the
 * local runner does, so a huge file costs neither the node nor the worker its memory, and only a regular
 * file is read: a FIFO put in its place would block the read, and the step's worker slot, forever.
 */
export function readStepFilesScript(files: RemoteStepFiles): string {
  const head = (file: string, limit: number) => `{ test -f ${file} && head -c ${limit} ${file}; }`;
  return [
    `${head(files.output, OUTPUT_FILE_LIMIT_BYTES + 1)}; code=$?`,
    `printf '\\n%s\\n' ${files.separator}`,
    head(files.summary, SUMMARY_LIMIT_BYTES + 1),
    `rm -rf ${files.dir}`,
    "exit $code",
  ].join("; ");
}
