export * from "./agent-api.js";
export * from "./agent-identity.js";
export * from "./agent-log-stream.js";
export * from "./agent-operations.js";
export * from "./agent-step-host.js";
export * from "./create-agent.js";
export * from "./http-queue.js";
export * from "./wake-ups.js";
