import { readFileSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import type { Page } from "playwright-core";

/** Full-page screenshots, one per page visited, in a folder the test prints so a person can look. */
export class Screenshots {
  readonly taken: string[] = [];
  constructor(readonly folder: string) {}

  async take(page: Page, name: string): Promise<void> {
    // A fresh folder per run: pictures left from an earlier run would pass for this one's.
    if (this.taken.length === 0) await rm(this.folder, { recursive: true, force: true });
    await mkdir(this.folder, { recursive: true });
    const file = path.join(this.folder, `${String(this.taken.length + 1).padStart(2, "0")}-${name}.png`);
    // Transitions run to their end first: a theme switch fades colours over 150 ms.
    await page.screenshot({ path: file, fullPage: true, animations: "disabled" });
    this.taken.push(file);
  }
}

const AXE = createRequire(import.meta.url).resolve("axe-core");

export interface A11yViolation {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

/**
 * The page checked by axe-core (the engine behind Lighthouse's accessibility audit) for WCAG 2 A and AA
 * rules; returns the serious and critical violations, each with the elements it found them on.
 */
export async function accessibilityViolations(page: Page): Promise<A11yViolation[]> {
  // Evaluated through the browser's debugging protocol: the page's CSP lets no inline script tag run.
  await page.evaluate(readFileSync(AXE, "utf8"));
  return page.evaluate(async () => {
    type Result = {
      violations: { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }[];
    };
    const axe = (window as unknown as { axe: { run(context: Document, options: object): Promise<Result> } })
      .axe;
    const result = await axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa"] } });
    return result.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        targets: v.nodes.map((n) => n.target.join(" ")),
      }));
  });
}
