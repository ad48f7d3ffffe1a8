export * from "./app.js";
export * from "./auth/index.js";
export * from "./context.js";
export * from "./health.js";
export * from "./log-tails.js";
export * from "./metrics.js";
export * from "./ops-server.js";
