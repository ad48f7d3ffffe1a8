import { LogCaptureActivity } from "../logs/capture-activity.js";
import { StartCheckCache } from "../options/start-check-cache.js";
import { LocalWorkers } from "../queue/local-workers.js";
import { createSecretCache } from "../secrets/cache.js";
import { SecretProviders } from "../secrets/registry.js";
import { GroupCommits } from "../store/group-commit.js";
import { ChangeSignal } from "./change-signal.js";
import type { ServiceContext } from "./context.js";
import { DefinitionCache } from "./definition-cache.js";
import { RunStateCache } from "./run-states.js";
import { WorkflowRowCache } from "./workflow-rows.js";

/** What the roles of one process share in memory; the roles in packages/cli create it with their store. */
export type ProcessState = Pick<
  ServiceContext,
  | "definitions"
  | "workflowRows"
  | "runStates"
  | "groupCommits"
  | "startChecks"
  | "localWorkers"
  | "changes"
  | "logCapture"
  | "secretProviders"
  | "hookSecrets"
>;

export function processState(): ProcessState {
  return {
    definitions: new DefinitionCache(),
    workflowRows: new WorkflowRowCache(),
    runStates: new RunStateCache(),
    groupCommits: new GroupCommits(),
    startChecks: new StartCheckCache(),
    localWorkers: new LocalWorkers(),
    changes: { schedules: new ChangeSignal(), triggers: new ChangeSignal() },
    logCapture: new LogCaptureActivity(),
    secretProviders: new SecretProviders(),
    hookSecrets: createSecretCache(60_000),
  };
}
