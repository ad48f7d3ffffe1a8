/**
 * Polls `condition` every `intervalMs` until it returns something other than undefined, null or false,
 * and returns that. Throws after `timeoutMs`, naming what it waited for and the last value or error seen,
 * so a test never stands a fixed sleep in for synchronisation.
 */
export async function waitFor(condition, options = {}) {
  // Generous: a busy 2-core machine can take seconds for what takes milliseconds idle.
  const timeoutMs = options.timeoutMs ?? 60_000;
  const intervalMs = options.intervalMs ?? 25;
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const value = await condition();
      if (value !== undefined && value !== null && value !== false) return value;
      last = value;
    } catch (error) {
      last = error;
    }
    if (Date.now() >= deadline) {
      const seen = last instanceof Error ? last.message : JSON.stringify(last);
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${options.what ?? "a condition"} (last: ${seen})`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
//# sourceMappingURL=wait-for.js.map
