/**
 * Polls `condition` every `intervalMs` until it returns something other than undefined, null or false,
 * and returns that. Throws after `timeoutMs`, naming what it waited for and the last value or error seen,
 * so a test never stands a fixed sleep in for synchronisation.
 */
export declare function waitFor<T>(
  condition: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  options?: {
    timeoutMs?: number;
    intervalMs?: number;
    what?: string;
  },
): Promise<T>;
//# sourceMappingURL=wait-for.d.ts.map
