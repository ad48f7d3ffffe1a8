export * from "./loader/load-workflow.js";
export * from "./loader/repository-root.js";
export * from "./run/events.js";
export * from "./run/report.js";
export * from "./run/run-workflow.js";
export * from "./runners/lines.js";
export * from "./runners/local/local-runner.js";
export * from "./runners/types.js";
