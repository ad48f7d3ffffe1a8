export * from "./fire.js";
export * from "./fire-now.js";
export * from "./lease.js";
export * from "./scheduler.js";
export * from "./status.js";
export * from "./suspend.js";
export * from "./sync.js";
export * from "./timer.js";
