import { closest, distance } from "fastest-levenshtein";

/** ` (did you mean 'needs'?)` when a known word is close to the unknown one, else "". */
export function didYouMean(unknown: string, known: Iterable<string>): string {
  const candidates = [...known];
  if (candidates.length === 0) return "";
  const best = closest(unknown, candidates);
  const limit = Math.max(2, Math.floor(unknown.length / 3));
  return distance(unknown, best) <= limit ? ` (did you mean '${best}'?)` : "";
}
