/** A flat status badge, as shields.io draws them: the workflow's name on grey, its status in colour. */

const COLOURS: Record<string, string> = {
  passing: "#2ea44f",
  failing: "#cb2431",
  cancelled: "#6a737d",
  "timed out": "#cb2431",
  skipped: "#6a737d",
  "no runs": "#9f9f9f",
};

/** A run's status as the badge says it. */
export function badgeMessage(status: string | undefined): string {
  switch (status) {
    case "succeeded":
      return "passing";
    case "failed":
      return "failing";
    case "timed_out":
      return "timed out";
    case "cancelled":
      return "cancelled";
    case "skipped":
      return "skipped";
    default:
      return "no runs";
  }
}

const escapeXml = (text: string) =>
  text.replace(
    /[<>&"']/g,
    (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" })[c] ?? c,
  );

/** About 6.5 px a character of Verdana 11px, plus padding: close to what shields.io measures. */
const width = (text: string) => Math.round(text.length * 6.5 + 12);

export function badgeSvg(label: string, message: string): string {
  const colour = COLOURS[message] ?? "#9f9f9f";
  const left = width(label);
  const right = width(message);
  const total = left + right;
  const l = escapeXml(label);
  const m = escapeXml(message);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${total}" height="20" role="img" aria-label="${l}: ${m}">
<title>${l}: ${m}</title>
<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>
<clipPath id="r"><rect width="${total}" height="20" rx="3" fill="#fff"/></clipPath>
<g clip-path="url(#r)"><rect width="${left}" height="20" fill="#555"/><rect x="${left}" width="${right}" height="20" fill="${colour}"/><rect width="${total}" height="20" fill="url(#s)"/></g>
<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">
<text x="${left / 2}" y="15" fill="#010101" fill-opacity=".3">${l}</text><text x="${left / 2}" y="14">${l}</text>
<text x="${left + right / 2}" y="15" fill="#010101" fill-opacity=".3">${m}</text><text x="${left + right / 2}" y="14">${m}</text>
</g>
</svg>
`;
}
