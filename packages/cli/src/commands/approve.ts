import type { Command } from "commander";
import { UsageError } from "../errors.js";
import { readRawInputs } from "./inputs.js";
import { authHeaders, authHint } from "./server-auth.js";

interface DecideFlags {
  input: string[];
  inputsFile?: string;
  comment?: string;
  server?: string;
  json?: boolean;
}

const collect = (value: string, previous: string[]) => [...previous, value];

/** `gantry approve RUN STEP` and `gantry reject RUN STEP`, through the server's API. */
export function registerApproveCommands(program: Command): void {
  for (const decision of ["approve", "reject"] as const) {
    program
      .command(decision)
      .description(
        decision === "approve"
          ? "Approve a waiting approval step (or a step waiting for its environment's approval)"
          : "Reject a waiting approval step: it fails, and steps that need it are skipped",
      )
      .argument("<run>", "the run's id")
      .argument("<step>", "the approval step's id")
      .option("--input <name=value>", "a value of the approval's form (repeatable)", collect, [])
      .option("--inputs-file <file>", "the form's values as a JSON object")
      .option("--comment <text>", "why; recorded with the decision")
      .option("--json", "print the API's JSON")
      .option("--server <url>", "the Gantry server (default $GANTRY_URL or http://127.0.0.1:8080)")
      .action(async (run: string, step: string, flags: DecideFlags) => {
        const inputs = await readRawInputs(flags.input, flags.inputsFile);
        const base = (flags.server ?? process.env.GANTRY_URL ?? "http://127.0.0.1:8080").replace(/\/$/, "");
        const url = `${base}/api/v1/runs/${encodeURIComponent(run)}/approvals/${encodeURIComponent(step)}`;
        let res: Response;
        try {
          res = await fetch(url, {
            method: "POST",
            headers: { ...authHeaders(), "content-type": "application/json" },
            body: JSON.stringify({
              decision,
              ...(Object.keys(inputs).length > 0 ? { inputs } : {}),
              ...(flags.comment !== undefined ? { comment: flags.comment } : {}),
            }),
          });
        } catch (error) {
          throw new UsageError(`cannot reach ${base}: ${(error as Error).cause ?? (error as Error).message}`);
        }
        const body = (await res.json().catch(() => ({}))) as {
          error?: string;
          errors?: Array<{ field: string; message: string }>;
          run_status?: string;
        };
        if (!res.ok) {
          const details = (body.errors ?? []).map((e) => `\n  ${e.field}: ${e.message}`).join("");
          throw new UsageError(
            `${res.status}: ${body.error ?? res.statusText}${authHint(res.status)}${details}`,
            1,
          );
        }
        if (flags.json) return void process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
        process.stderr.write(
          `${step} of run ${run}: ${decision === "approve" ? "approved" : "rejected"}; the run is ${body.run_status}\n`,
        );
      });
  }
}
