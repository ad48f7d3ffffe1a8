import type { PreparedTask, Program } from "@gantry/core";

/** A bash script as a step's program. */
export const bash = (script: string): Program => ({ kind: "inline", shell: "bash", script });

/** A runner's task: step `s`, first attempt, no inputs, env or secrets unless `extra` sets them. */
export function testTask(program: Program, extra: Partial<PreparedTask> = {}): PreparedTask {
  return {
    step: "s",
    index: 0,
    attempt: 1,
    delayMs: 0,
    name: "s",
    program,
    inputs: {},
    env: {},
    secrets: [],
    ...extra,
  };
}
