/**
 * A job's log is one log with a section per step: a line `##[step] <index> <name>` opens each (the run
 * page folds them, as GitHub's does). A step's own line that starts the same way is shown indented by a
 * space, so no step can open a section of its own.
 */
export const SECTION_PREFIX = "##[step] ";

export function sectionLine(index: number, name: string): string {
  return `${SECTION_PREFIX}${index} ${name.replace(/\s*\n\s*/g, " ")}`;
}
