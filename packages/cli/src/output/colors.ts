import pc from "picocolors";

const STEP_COLORS = [pc.cyan, pc.magenta, pc.yellow, pc.blue, pc.green, pc.red];

/** A stable colour per step, so interleaved output from parallel steps stays readable. */
export function stepColor(steps: string[]): (step: string, text: string) => string {
  const index = new Map(steps.map((s, i) => [s, i]));
  return (step, text) =>
    (STEP_COLORS[(index.get(step) ?? 0) % STEP_COLORS.length] as (s: string) => string)(text);
}

export const statusColor: Record<string, (s: string) => string> = {
  succeeded: pc.green,
  failed: pc.red,
  timed_out: pc.red,
  cancelled: pc.yellow,
  skipped: pc.dim,
  running: pc.cyan,
  pending: pc.dim,
};

export { pc };
