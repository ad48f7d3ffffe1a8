import { artifact } from "./artifacts.js";
import { nodeView } from "./nodes.js";
import { schedule, scheduleFire } from "./schedules.js";
import { errorReply, runDetail, runSummary, stepReport, workflowSummary } from "./schemas.js";
import { folderView, sourceView } from "./sources.js";
import { trigger } from "./triggers.js";
import { worker } from "./workers.js";

/**
 * The reply schemas the web UI reads, by the type name it uses: `npm run build` writes them as
 * TypeScript types into packages/ui/src/lib/api-types.generated.ts (scripts/write-api-types.mjs), so the
 * UI's types are the routes' own and its build fails where it reads what a route does not send.
 */
export const API_SCHEMAS = {
  ErrorReply: errorReply,
  RunSummary: runSummary,
  RunDetail: runDetail,
  StepReport: stepReport,
  Workflow: workflowSummary,
  Schedule: schedule,
  ScheduleFire: scheduleFire,
  EventTrigger: trigger,
  Source: sourceView,
  WorkflowFolder: folderView,
  NodeInfo: nodeView,
  Artifact: artifact,
  WorkerInfo: worker,
} as const;
