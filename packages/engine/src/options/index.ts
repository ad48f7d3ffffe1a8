export * from "./resolve-options.js";
