export * from "./ansible.js";
export * from "./entries.js";
export * from "./host-key.js";
export * from "./inventory.js";
export * from "./known-hosts.js";
