/**
 * @gantry/core: the pure part of Gantry. No I/O, no clock, no randomness (a Biome rule refuses them);
 * it imports nothing of Gantry's other packages, and every other package may import it.
 *
 * - format/, schema/, yaml/, validate/: the workflow format, its JSON Schemas, YAML with positions, and
 *   validation that returns every problem at file:line:col (schedules/ and triggers/ are part of it).
 * - expressions/, inputs/, outputs/, masking/: `${{ }}`, inputs and their coercion, step outputs, masks.
 * - planner/, graph/, jobs/, concurrency/: what runs next, the DAG, jobs of steps, concurrency admission.
 * - approvals/, notify/, nodes/, logs/: gates, notification specs, node selectors, packed log lines.
 * - vocabulary/: run, step and item statuses and trigger kinds, defined once (also a subpath for the UI).
 */
export * from "./approvals/approvers.js";
export * from "./approvals/gate.js";
export { approversSchema } from "./approvals/schema.js";
export * from "./approvals/types.js";
export * from "./concurrency/admission.js";
export * from "./expressions/data.js";
export * from "./expressions/evaluate.js";
export * from "./expressions/references.js";
export * from "./expressions/template.js";
export * from "./format/duration.js";
export * from "./format/runner.js";
export * from "./format/types.js";
export * from "./graph/dag.js";
export * from "./graph/workflow-graph.js";
export * from "./inputs/coerce.js";
export * from "./inputs/options-from.js";
export * from "./inputs/schema.js";
export * from "./jobs/inner.js";
export * from "./jobs/matrix.js";
export * from "./jobs/service-options.js";
export * from "./jobs/state.js";
export * from "./logs/packed-lines.js";
export * from "./masking/masker.js";
export * from "./nodes/run-nodes.js";
export * from "./nodes/selector.js";
export * from "./nodes/types.js";
export * from "./notify/types.js";
export * from "./outputs/output-file.js";
export * from "./planner/call-deadline.js";
export * from "./planner/context.js";
export * from "./planner/plan.js";
export * from "./planner/prepare.js";
export * from "./planner/rerun.js";
export * from "./planner/retry.js";
export * from "./planner/state.js";
export * from "./schedules/cron.js";
export * from "./schedules/entries.js";
export * from "./schedules/plan.js";
export { scheduleProblems } from "./schedules/validate.js";
export * from "./schema/action-schema.js";
export * from "./schema/workflow-schema.js";
export * from "./triggers/event-entries.js";
export * from "./triggers/event-payload.js";
export { eventTriggerProblems } from "./triggers/event-problems.js";
export * from "./triggers/event-schema.js";
export * from "./triggers/filter-pattern.js";
export * from "./triggers/git-events.js";
export * from "./triggers/input-mapping.js";
export * from "./triggers/webhook.js";
export * from "./validate/action.js";
export { newAjv } from "./validate/ajv.js";
export { findCycle } from "./validate/find-cycle.js";
export * from "./validate/fix-injections.js";
export { untrustedInput } from "./validate/injection.js";
export { innerActionKey } from "./validate/job.js";
export { schemaProblems } from "./validate/schema-problems.js";
export { isSubWorkflowUses, libraryWorkflowUses, subWorkflowName } from "./validate/sub-workflow.js";
export * from "./validate/workflow.js";
export * from "./vocabulary/index.js";
export * from "./yaml/parse.js";
