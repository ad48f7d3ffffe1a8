export * from "./channels.js";
export * from "./events.js";
export * from "./message.js";
export * from "./sender.js";
export * from "./settings.js";
