import { formatDuration, type RunState } from "@gantry/core";
import type { RunEvent, RunReport } from "@gantry/engine";
import { pc, statusColor, stepColor } from "./colors.js";
import { renderTable } from "./table.js";

/** Prints a run as it happens: each step's lines behind a coloured prefix, then state changes, then a summary. */
export class LivePrinter {
  private readonly color: (step: string, text: string) => string;
  private readonly width: number;
  /** Steps with for_each, whose lines carry the item's index. */
  private readonly fannedOut = new Set<string>();

  constructor(
    steps: string[],
    private readonly write: (text: string) => void,
  ) {
    this.color = stepColor(steps);
    // Room for a for_each index such as `[12]`.
    this.width = Math.max(...steps.map((s) => s.length)) + 4;
  }

  handle(event: RunEvent): void {
    switch (event.type) {
      case "line": {
        // A job's step opens its section: shown as a heading, not as the marker line.
        const section = /^##\[step\] \d+ (.*)$/.exec(event.line);
        const text = section ? `${pc.cyan("›")} ${pc.bold(section[1] ?? "")}` : event.line;
        this.write(`${this.prefix(event.step, event.index, event.stream === "stderr")} ${text}\n`);
        break;
      }
      case "task-started": {
        const { task } = event;
        if (task.item !== undefined) this.fannedOut.add(task.step);
        const attempt = task.attempt > 1 ? pc.dim(` (attempt ${task.attempt})`) : "";
        const item = task.item !== undefined ? pc.dim(` item ${JSON.stringify(task.item)}`) : "";
        this.write(`${this.prefix(task.step, task.index)} ${pc.cyan("▶")} ${task.name}${item}${attempt}\n`);
        break;
      }
      case "task-finished": {
        const { task } = event;
        const how =
          event.status === "succeeded"
            ? pc.green("✓ succeeded")
            : statusColor[event.status]?.(`✗ ${event.status.replace("_", " ")}`);
        const detail = event.status !== "succeeded" && event.error ? pc.dim(`: ${event.error}`) : "";
        const retry =
          event.retryInMs !== undefined ? pc.yellow(` ↻ retrying in ${formatDuration(event.retryInMs)}`) : "";
        this.write(`${this.prefix(task.step, task.index)} ${how}${detail}${retry}\n`);
        break;
      }
      case "step-status":
        if (event.status === "skipped" || (event.error && event.status === "failed")) {
          const text = event.status === "skipped" ? pc.dim("- skipped") : pc.red(`✗ failed: ${event.error}`);
          this.write(`${this.prefix(event.step)} ${text}\n`);
        }
        break;
    }
  }

  summary(report: RunReport, state: RunState, startedAt: number): void {
    const rows = Object.entries(report.steps).map(([id, s]) => [
      this.color(id, id),
      (statusColor[s.status] ?? ((x: string) => x))(s.status.replace("_", " ")) +
        (s.status === "failed" && s.result === "success" ? pc.dim(" (continue_on_error)") : ""),
      String(s.attempts),
      s.duration_ms === null ? "-" : formatDuration(s.duration_ms),
    ]);
    this.write(
      `\n${renderTable([pc.bold("STEP"), pc.bold("RESULT"), pc.bold("ATTEMPTS"), pc.bold("DURATION")], rows)}\n`,
    );
    const outputs = Object.entries(report.outputs);
    if (outputs.length > 0) {
      this.write(`\n${pc.bold("Outputs")}\n`);
      for (const [name, value] of outputs)
        this.write(`  ${name}: ${typeof value === "string" ? value : JSON.stringify(value)}\n`);
    }
    if (state.error) this.write(`\n${pc.red(state.error)}\n`);
    const color = statusColor[report.status] ?? ((x: string) => x);
    this.write(
      `\nRun ${report.id} ${color(report.status.replace("_", " "))} in ${formatDuration(Date.now() - startedAt)}\n`,
    );
  }

  private prefix(step: string, index?: number, stderr = false): string {
    const label = index !== undefined && this.fannedOut.has(step) ? `${step}[${index}]` : step;
    const text = this.color(step, label.padEnd(this.width));
    return stderr ? `${text}${pc.red("!")}` : `${text}${pc.dim("|")}`;
  }
}
