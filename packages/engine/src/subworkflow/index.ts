export * from "./cancel-tree.js";
export * from "./child-run.js";
