export * from "./app.js";
export * from "./auth/index.js";
export * from "./context.js";
export * from "./log-tails.js";
export * from "./metrics.js";
