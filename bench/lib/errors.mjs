/** A measurement that cannot be trusted (a step failed, a script exited non-zero): stop the bench. */
export class BenchError extends Error {
  name = "BenchError";
}

/** The last lines of a process's output, to show with a failure without flooding the terminal. */
export function tail(text, lines = 20) {
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}
