/**
 * The most a step's output file may hold, GitHub Actions' limit for a job's outputs. A runner reads at
 * most one byte more, so a larger file costs no memory and fails the step with a clear message.
 */
export const OUTPUT_FILE_LIMIT_BYTES = 1024 * 1024;

/**
 * Parses a step's output file in GitHub's `$GITHUB_OUTPUT` syntax: `name=value` lines, and
 * `name<<DELIMITER` followed by lines up to a line that is exactly DELIMITER, for multi-line values.
 * A later value for the same name wins, as in GitHub Actions.
 */
export function parseOutputFile(text: string): { outputs: Record<string, string>; errors: string[] } {
  const outputs: Record<string, string> = {};
  const errors: string[] = [];
  // A UTF-16 unit is at most three bytes of UTF-8: a shorter text cannot be over the limit.
  if (
    text.length > OUTPUT_FILE_LIMIT_BYTES / 3 &&
    new TextEncoder().encode(text).length > OUTPUT_FILE_LIMIT_BYTES
  ) {
    errors.push(
      `larger than ${OUTPUT_FILE_LIMIT_BYTES / 1024} KiB: write large data to a file, an artifact or a cache instead`,
    );
    return { outputs, errors };
  }
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.trim() === "") continue;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    const eq = line.indexOf("=");
    if (heredoc && (eq < 0 || eq > line.indexOf("<<"))) {
      const name = (heredoc[1] as string).trim();
      const delimiter = heredoc[2] as string;
      const end = lines.indexOf(delimiter, i + 1);
      if (end < 0) {
        errors.push(`output '${name}': no line '${delimiter}' ends the value started on line ${i + 1}`);
        break;
      }
      outputs[name] = lines.slice(i + 1, end).join("\n");
      i = end;
    } else if (eq > 0) {
      outputs[line.slice(0, eq).trim()] = line.slice(eq + 1);
    } else {
      errors.push(`line ${i + 1}: expected 'name=value' or 'name<<DELIMITER', got '${line.slice(0, 80)}'`);
    }
  }
  return { outputs, errors };
}
