/** How a step ended, as `steps.<id>.result` (and `outcome`) says it in expressions. */
export type StepResult = "success" | "failure" | "cancelled" | "skipped";
