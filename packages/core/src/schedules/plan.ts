import type { CronSchedule } from "./cron.js";
import type { CatchUp } from "./entries.js";

/** At most this many missed times are fired or recorded per catch-up, as Kubernetes caps them. */
export const CATCH_UP_CAP = 100;

export interface Decision {
  /** The scheduled time. */
  at: number;
  action: "fire" | "missed";
  /** Why a time is missed. */
  reason?: string;
}

export interface FirePlan {
  decisions: Decision[];
  /** The schedule's progress after these decisions: the latest time they cover. */
  handledUntil: number;
  /** More than the cap were due: the earliest ones were dropped without a record. */
  dropped: boolean;
}

export interface PlanInput {
  cron: CronSchedule;
  /** Every time up to this one is handled already. */
  handledUntil: number;
  catchUp: CatchUp;
  startingDeadlineMs: number | null;
  now: number;
  /**
   * Since when this scheduler has led without a break. Times before it fell while no scheduler was
   * running (or another one died): the catch-up policy decides about those. Times after it are this
   * scheduler's own, fired however late (only the starting deadline can make them missed).
   */
  leaderSince: number;
}

/**
 * Decides what happens to each time that is due: fire it or record it missed. Pure, so that every rule
 * (catch-up, starting deadline, the cap) is tested without a database or a clock.
 */
export function planFires(input: PlanInput): FirePlan {
  const { cron, now } = input;
  let due: number[] = [];
  for (let t = cron.next(input.handledUntil); t !== undefined && t <= now; t = cron.next(t)) {
    due.push(t);
    if (due.length > CATCH_UP_CAP) break;
  }
  let dropped = false;
  if (due.length > CATCH_UP_CAP) {
    // A long outage of a frequent schedule: keep the latest ones, found backwards from now.
    due = cron.latest(now, CATCH_UP_CAP).filter((t) => t > input.handledUntil);
    dropped = true;
  }
  const last = due.at(-1);
  if (last === undefined) return { decisions: [], handledUntil: input.handledUntil, dropped };

  const missedWhileDown = due.filter((t) => t < input.leaderSince);
  const own = due.filter((t) => t >= input.leaderSince);
  const decisions: Decision[] = [];
  const policy = `catch_up: ${input.catchUp}`;
  missedWhileDown.forEach((at, i) => {
    const latest = i === missedWhileDown.length - 1;
    if (input.catchUp === "all" || (input.catchUp === "latest" && latest)) decisions.push(fire(at, input));
    else
      decisions.push({
        at,
        action: "missed",
        reason:
          input.catchUp === "none"
            ? `no scheduler was running at this time (${policy})`
            : `no scheduler was running at this time; only the latest missed time fires (${policy})`,
      });
  });
  for (const at of own) decisions.push(fire(at, input));
  return { decisions, handledUntil: last, dropped };
}

function fire(at: number, input: PlanInput): Decision {
  const deadline = input.startingDeadlineMs;
  if (deadline !== null && input.now - at > deadline) {
    return {
      at,
      action: "missed",
      reason: `could not start within the starting deadline (${deadline / 1000} s after its time)`,
    };
  }
  return { at, action: "fire" };
}
