export * from "./resolve-options.js";
export * from "./start-check.js";
