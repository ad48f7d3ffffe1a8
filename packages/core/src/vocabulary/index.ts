// The words runs are described in, without the rest of core: the web UI imports this alone
// (`@gantry/core/vocabulary`), so its bundle does not carry the validator.
export * from "./statuses.js";
export * from "./triggers.js";
