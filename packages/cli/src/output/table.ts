// Matches ANSI colour codes, so that column widths count only visible characters.
// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escapes start with the ESC control character.
const ANSI = /\u001b\[[0-9;]*m/g;

function visibleLength(s: string): number {
  return s.replace(ANSI, "").length;
}

/** A plain text table: a header row, then rows, columns padded to the widest cell. */
export function renderTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) =>
    Math.max(visibleLength(h), ...rows.map((r) => visibleLength(r[i] ?? ""))),
  );
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c + " ".repeat((widths[i] ?? 0) - visibleLength(c)))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}
