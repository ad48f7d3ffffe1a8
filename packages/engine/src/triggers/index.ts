export * from "./deliver.js";
export * from "./event-source.js";
export { replicationNames } from "./event-sources/postgres-logical.js";
export * from "./listener.js";
export * from "./listeners.js";
export * from "./status.js";
export * from "./sync.js";
