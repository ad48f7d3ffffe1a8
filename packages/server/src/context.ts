import type {
  AgentOperations,
  FolderSource,
  InventoryState,
  LogArchiveLike,
  OptionsResolver,
  ServiceContext,
  SourceSyncer,
} from "@gantry/engine";
import type { Registry } from "prom-client";
import type { AuthOptions } from "./auth/types.js";
import type { ProcessHealth } from "./health.js";
import type { LogTails } from "./logs/tails.js";
import type { Metrics } from "./metrics.js";

/** What the HTTP layer needs: the run operations and the metrics it reports. */
export interface ServerContext {
  service: ServiceContext;
  /** The largest body a workflow's webhook accepts unless the hook sets `max_body` (default 1 MB). */
  webhookBodyLimit?: number;
  metrics: Metrics;
  registry: Registry;
  version: string;
  logArchive: LogArchiveLike;
  logTails: LogTails;
  /** The built web UI (packages/ui/dist); without it `/` says how to build it. */
  uiDir?: string;
  /** How callers are authenticated; undefined: local single-user mode (everyone is the local admin). */
  auth?: AuthOptions;
  /** The git sources' syncer; undefined when gantry.yaml declares no sources. */
  sources?: SourceSyncer;
  /** Folders of workflows (`--dir`), with the state of their last read. */
  folders?: FolderSource[];
  /** The process's readiness for /readyz; undefined: the database alone decides. */
  health?: ProcessHealth;
  /** False when a separate metrics listener serves /metrics (see ops-server.ts); default true. */
  metricsOnApiPort?: boolean;
  /** The node inventory (gantry.yaml `nodes:`), for the Nodes page; undefined lists none. */
  nodes?: { current(): Promise<InventoryState> };
  /**
   * The agents' queue operations (`/api/v1/agent/...`), with the environments whose secrets they get and
   * the archiver of their logs; one with neither is made when not given.
   */
  agents?: AgentOperations;
  /**
   * Told of every request that failed with a 500 (the client gets "internal error" and nothing more) and
   * of every audit entry that could not be written, so the operator sees what went wrong; the HTTP
   * layer's own logger is off.
   */
  onInternalError?: (error: Error, where: string) => void;
  /**
   * Told of what the operator should see that is no 500: a failed sign-in, an identity provider that
   * cannot be reached, a workflow hook that failed (one line each, never a request's body).
   */
  onWarning?: (message: string) => void;
  /** Computes and caches `options_from` lists; one is made when not given. */
  options?: OptionsResolver;
}
