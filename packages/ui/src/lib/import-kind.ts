import type { ImportKind } from "./api";

/** A guess at what a pasted or uploaded file is, from its name and first lines; undefined when unsure. */
export function guessImportKind(text: string, name = ""): ImportKind | undefined {
  if (/\.xml$/i.test(name) || /^\s*(<\?xml|<joblist|<job\b)/.test(text)) return "rundeck";
  if (/^\s*kind:\s*(CronJob|List)\s*$/m.test(text) && /^\s*apiVersion:\s*batch\//m.test(text))
    return "cronjob";
  if (/^version:\s*['"]?2(\.1)?['"]?\s*$/m.test(text) && /^(workflows|jobs):/m.test(text)) return "circleci";
  if (/^(on|jobs):/m.test(text) || /^runs:\s*$/m.test(text)) return "github-actions";
  if (/^-\s*(defaultTab|sequence|name):/m.test(text) && /sequence:/.test(text)) return "rundeck";
  return undefined;
}
