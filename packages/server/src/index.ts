export * from "./app.js";
export * from "./context.js";
export * from "./log-tails.js";
export * from "./metrics.js";
