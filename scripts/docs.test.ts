import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "..");
const pages = [
  "README.md",
  ...readdirSync(path.join(root, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/${f}`),
];

/** The widest table line a screen shows whole, in characters. */
const TABLE_WIDTH = 160;

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens, repeats numbered. */
function anchorsOf(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  let fenced = false;
  for (const line of markdown.split("\n")) {
    if (/^\s*```/.test(line)) fenced = !fenced;
    const heading = fenced ? null : /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const base = (heading[1] ?? "")
      .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/\s/g, "-");
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

/** Relative links of a page, outside code: `[text](target)`, with their line numbers. */
function linksOf(markdown: string): { target: string; line: number }[] {
  const links: { target: string; line: number }[] = [];
  let fenced = false;
  markdown.split("\n").forEach((text, index) => {
    if (/^\s*```/.test(text)) fenced = !fenced;
    if (fenced) return;
    const prose = text.replace(/`[^`]*`/g, "");
    for (const match of prose.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      const target = match[1] ?? "";
      if (!/^[a-z][a-z0-9+.-]*:/i.test(target)) links.push({ target, line: index + 1 });
    }
  });
  return links;
}

/** Table lines too wide for a screen, outside tables a script generates (marked `<!-- compatibility:… -->`). */
function wideTableLines(markdown: string): number[] {
  const wide: number[] = [];
  let generated = false;
  markdown.split("\n").forEach((text, index) => {
    if (/^<!-- compatibility:/.test(text)) generated = true;
    if (/^<!-- \/compatibility:/.test(text)) generated = false;
    if (!generated && text.startsWith("|") && text.length > TABLE_WIDTH) wide.push(index + 1);
  });
  return wide;
}

describe("the documentation", () => {
  it.each(pages)("%s: every relative link reaches a file, and every anchor a heading", (page) => {
    const text = readFileSync(path.join(root, page), "utf8");
    const broken: string[] = [];
    for (const { target, line } of linksOf(text)) {
      const [file = "", anchor] = target.split("#");
      const resolved =
        file === "" ? path.join(root, page) : path.resolve(path.dirname(path.join(root, page)), file);
      if (!existsSync(resolved)) {
        broken.push(`${page}:${line}: ${target}: no such file`);
        continue;
      }
      if (anchor !== undefined && resolved.endsWith(".md") && statSync(resolved).isFile()) {
        if (!anchorsOf(readFileSync(resolved, "utf8")).has(decodeURIComponent(anchor)))
          broken.push(`${page}:${line}: ${target}: no heading with anchor #${anchor}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it.each(pages)(`%s: no table line is wider than ${TABLE_WIDTH} characters`, (page) => {
    expect(wideTableLines(readFileSync(path.join(root, page), "utf8"))).toEqual([]);
  });

  it("finds a broken link, a missing anchor and GitHub's anchors", () => {
    expect(anchorsOf("# A `b --c` d\n## Git sources and GitHub events\n## A `b --c` d\n")).toEqual(
      new Set(["a-b---c-d", "git-sources-and-github-events", "a-b---c-d-1"]),
    );
    expect(linksOf("[x](a.md#b) `[y](c.md)` [z](https://e)\n```\n[w](d.md)\n```")).toEqual([
      { target: "a.md#b", line: 1 },
    ]);
    expect(wideTableLines(`| ${"x".repeat(TABLE_WIDTH)} |\n`)).toEqual([1]);
  });
});
