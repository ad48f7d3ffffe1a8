import { type WorkflowGraph, workflowGraph } from "@gantry/core";
import { getBundle } from "../store/queries/bundles.js";
import type { Db } from "../store/queries/types.js";
import type { WorkflowDefinition } from "./workflow-definition.js";

/**
 * The workflow definitions of revisions this process has read. Revisions are content-addressed and
 * never change, so every one read can be kept; one cache per process, created with its ServiceContext.
 */
export class DefinitionCache {
  private readonly cache = new Map<string, WorkflowDefinition>();
  /**
   * Reads under way, by revision: callers that miss meanwhile on the same handle wait for the same read
   * (the first 50 API requests for a revision read and parsed its bundle 50 times at once). Only on the
   * same handle: on SQLite a caller inside a unit of work holds the one connection, and a read on the
   * database itself would wait for that unit.
   */
  private readonly reading = new Map<string, { db: Db; read: Promise<WorkflowDefinition> }>();
  private readonly graphs = new WeakMap<WorkflowDefinition, WorkflowGraph>();

  /** The planner's graph of a definition's workflow, made once per definition read. */
  graph(definition: WorkflowDefinition): WorkflowGraph {
    let graph = this.graphs.get(definition);
    if (!graph) {
      graph = workflowGraph(definition.workflow);
      this.graphs.set(definition, graph);
    }
    return graph;
  }

  /** The workflow definition of a revision (stored as a bundle whose hash is the revision). */
  async at(db: Db, revision: string): Promise<WorkflowDefinition> {
    const cached = this.cache.get(revision);
    if (cached) return cached;
    const under = this.reading.get(revision);
    if (under?.db === db) return under.read;
    if (under) return this.read(db, revision);
    const read = this.read(db, revision).finally(() => this.reading.delete(revision));
    this.reading.set(revision, { db, read });
    return read;
  }

  private async read(db: Db, revision: string): Promise<WorkflowDefinition> {
    const content = await getBundle(db, revision);
    if (!content) throw new Error(`workflow revision ${revision} is missing from the store`);
    const definition = JSON.parse(content) as WorkflowDefinition;
    this.cache.set(revision, definition);
    return definition;
  }
}
