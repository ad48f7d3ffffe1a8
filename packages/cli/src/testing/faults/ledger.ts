import { existsSync, readFileSync } from "node:fs";

/**
 * The script of a ledger step: it appends `start RUN STEP ATTEMPT PID` when it begins and `end …` when
 * it is done, and `overlap …` when an earlier try of the same step of the same run still runs as it
 * starts (checked with kill -0 on the pids the ledger holds). From outside Gantry, this is how the
 * suite sees whether a step ran twice.
 */
export function ledgerScript(ledger: string, seconds: number, print = ""): string {
  return [
    `key="$GANTRY_RUN_ID $GANTRY_STEP_ID"`,
    `for pid in $(grep "^start $key " "${ledger}" | cut -d" " -f5); do`,
    `  if kill -0 "$pid" 2>/dev/null; then echo "overlap $key $GANTRY_ATTEMPT $pid" >> "${ledger}"; fi`,
    "done",
    `echo "start $key $GANTRY_ATTEMPT $$" >> "${ledger}"`,
    ...(print ? [print] : []),
    `sleep ${seconds}`,
    `echo "end $key $GANTRY_ATTEMPT $$" >> "${ledger}"`,
  ].join("\n");
}

export interface LedgerCounts {
  started: number;
  /** Steps two tries of which ran at the same time. */
  doubled: number;
  /**
   * Steps that ran to their end twice, one after the other: the worker died after the step ended and
   * before its result was stored, so the result was lost with it and the step ran again (Gantry runs a
   * step at least once, never twice at once).
   */
  repeated: number;
}

export function readLedger(ledger: string, runIds: ReadonlySet<string>): LedgerCounts {
  const lines = existsSync(ledger) ? readFileSync(ledger, "utf8").split("\n").filter(Boolean) : [];
  const ends = new Map<string, number>();
  const doubled = new Set<string>();
  const repeated = new Set<string>();
  let started = 0;
  for (const line of lines) {
    const [kind, run, step] = line.split(" ");
    if (!run || !runIds.has(run)) continue;
    const key = `${run} ${step}`;
    if (kind === "start") started++;
    if (kind === "overlap") doubled.add(key);
    if (kind === "end") {
      const n = (ends.get(key) ?? 0) + 1;
      ends.set(key, n);
      if (n > 1) repeated.add(key);
    }
  }
  return { started, doubled: doubled.size, repeated: repeated.size };
}

/** How many steps of these runs have started so far. */
export function startedSteps(ledger: string, runIds: ReadonlySet<string>): number {
  return readLedger(ledger, runIds).started;
}
