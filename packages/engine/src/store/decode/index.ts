// Typed readers of the store's JSON columns: code outside the store reads a column through these.
export * from "./inputs.js";
export * from "./lists.js";
export * from "./records.js";
export * from "./runs.js";
export * from "./workflows.js";
