/**
 * @gantry/import: converters from GitHub Actions, CircleCI, Kubernetes CronJobs and Rundeck jobs to
 * Gantry workflows. Pure (text in, files and a report out; no I/O, no clock), under the same lint rule as
 * core, so the CLI, the server and tests run exactly the same conversion.
 *
 * - `convert.ts`: `importFile(kind, file, text, options)`, the one entry point.
 * - `report/`: the feature tables' shape, findings, and the text and Markdown renderings.
 * - `source/`, `output/`, `shared/`: reading YAML and XML with positions and comments, writing YAML with
 *   comments, names, durations, cron checks and shell quoting.
 * - one folder per source format, each with its `features.ts` table and its `convert.ts`.
 */
export * from "./convert.js";
export * from "./options.js";
export * from "./report/features.js";
export * from "./report/render.js";
export * from "./report/report.js";
