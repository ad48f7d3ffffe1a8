// Plain-text tables: one header row, a rule, then the rows. Columns align "left" or "right".

/**
 * @param {{title: string, align?: "left" | "right"}[]} columns
 * @param {string[][]} rows cells already formatted as text
 */
export function renderTable(columns, rows) {
  const widths = columns.map((column, i) =>
    Math.max(column.title.length, ...rows.map((row) => String(row[i] ?? "").length)),
  );
  const line = (cells) =>
    cells
      .map((cell, i) => {
        const text = String(cell ?? "");
        return columns[i].align === "right" ? text.padStart(widths[i]) : text.padEnd(widths[i]);
      })
      .join("  ")
      .trimEnd();
  return [
    line(columns.map((c) => c.title)),
    line(widths.map((w) => "-".repeat(w))),
    ...rows.map((row) => line(row)),
  ].join("\n");
}

/** Seconds with three decimals, or "-" when there is no number. */
export function formatSeconds(value) {
  return typeof value === "number" && Number.isFinite(value) ? value.toFixed(3) : "-";
}
