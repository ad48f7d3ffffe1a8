export * from "./deliver.js";
export * from "./listener.js";
export * from "./listeners.js";
export * from "./source.js";
export { replicationNames } from "./sources/postgres-logical.js";
export * from "./status.js";
export * from "./sync.js";
