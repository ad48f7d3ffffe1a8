export * from "./builtin-actions.js";
export * from "./cache.js";
export * from "./credentials.js";
export * from "./run-git.js";
