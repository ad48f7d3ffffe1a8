export * from "./decide.js";
export * from "./deployments.js";
export * from "./environment-secrets.js";
export * from "./expire.js";
export * from "./inbox.js";
