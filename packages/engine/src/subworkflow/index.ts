export * from "./cancel-tree.js";
export * from "./check.js";
export * from "./child-run.js";
export * from "./children-view.js";
export * from "./reconcile.js";
