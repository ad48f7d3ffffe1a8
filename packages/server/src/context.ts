import type { LogArchiveLike, ServiceContext } from "@gantry/engine";
import type { Registry } from "prom-client";
import type { LogTails } from "./log-tails.js";
import type { Metrics } from "./metrics.js";

/** What the HTTP layer needs: the run operations and the metrics it reports. */
export interface ServerContext {
  service: ServiceContext;
  metrics: Metrics;
  registry: Registry;
  version: string;
  logArchive: LogArchiveLike;
  logTails: LogTails;
}
