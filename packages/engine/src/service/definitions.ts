import { getBundle } from "../store/queries/bundles.js";
import type { Db } from "../store/queries/types.js";
import type { WorkflowDefinition } from "./definition.js";

// Revisions are content-addressed and never change, so a process can keep every one it has read.
const cache = new Map<string, WorkflowDefinition>();

/** The workflow definition of a revision (stored as a bundle whose hash is the revision). */
export async function definitionAt(db: Db, revision: string): Promise<WorkflowDefinition> {
  const cached = cache.get(revision);
  if (cached) return cached;
  const content = await getBundle(db, revision);
  if (!content) throw new Error(`workflow revision ${revision} is missing from the store`);
  const definition = JSON.parse(content) as WorkflowDefinition;
  cache.set(revision, definition);
  return definition;
}
