import { randomUUID } from "node:crypto";
import { coerceInputs, formatProblem } from "@gantry/core";
import {
  createRunners,
  createSecretCache,
  loadWorkflow,
  resolveWorkflowSecrets,
  runWorkflow,
} from "@gantry/engine";
import type { Command } from "commander";
import { UsageError } from "../errors.js";
import { LivePrinter } from "../output/live-printer.js";
import { readRawInputs } from "./inputs.js";

interface RunFlags {
  input: string[];
  inputsFile?: string;
  parallel: string;
  json?: boolean;
}

export function registerRunCommand(program: Command): void {
  program
    .command("run")
    .description("Run a workflow on this machine, without a server")
    .argument("<file>", "the workflow file")
    .option("-i, --input <name=value>", "an input (repeatable)", collect, [])
    .option("--inputs-file <file>", "a JSON file of inputs (flags win)")
    .option("-p, --parallel <n>", "how many steps may run at once", "4")
    .option("--json", "print one JSON document with the result on stdout (progress goes to stderr)")
    .action(async (file: string, flags: RunFlags) => {
      process.exitCode = await runCommand(file, flags);
    });
}

async function runCommand(file: string, flags: RunFlags): Promise<number> {
  const parallel = Number(flags.parallel);
  if (!Number.isInteger(parallel) || parallel < 1) {
    throw new UsageError(`--parallel '${flags.parallel}': must be a whole number of at least 1`);
  }
  const raw = await readRawInputs(flags.input, flags.inputsFile);
  const { loaded, problems } = await loadWorkflow(file);
  if (!loaded) {
    for (const p of problems) process.stderr.write(`${formatProblem(p)}\n`);
    return 2;
  }
  const inputs = coerceInputs(loaded.workflow.inputs, raw);
  if (inputs.errors.length > 0) {
    for (const e of inputs.errors) process.stderr.write(`${file}: ${e.message}\n`);
    return 2;
  }
  const cache = createSecretCache(300_000);
  let secrets: Record<string, string>;
  try {
    secrets = await resolveWorkflowSecrets(loaded.workflow, { baseDir: loaded.root, cache });
  } catch (error) {
    // The message names the reference and the reason, never a value.
    throw new UsageError(`${file}: secrets: ${(error as Error).message}`);
  }
  const out = flags.json ? process.stderr : process.stdout;
  const printer = new LivePrinter(Object.keys(loaded.workflow.steps), (text) => out.write(text));
  const abort = new AbortController();
  let interrupts = 0;
  const onSignal = () => {
    interrupts += 1;
    if (interrupts === 1) {
      process.stderr.write(
        "\nCancelling: stopping running steps; clean-up steps still run. Press Ctrl-C again to quit now.\n",
      );
      abort.abort();
    } else {
      process.exit(130);
    }
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const startedAt = Date.now();
  const name = loaded.workflow.name ?? file;
  const { report, state } = await runWorkflow(loaded, {
    // Docker and Kubernetes clients load only when a step asks for that runner.
    runner: createRunners(["local", "docker", "kubernetes"]),
    parallel,
    signal: abort.signal,
    secrets: { cache },
    info: {
      id: randomUUID(),
      workflow: name,
      attempt: 1,
      trigger: { type: "manual" },
      inputs: inputs.values,
      secrets,
    },
    onEvent: (event) => printer.handle(event),
  });
  process.off("SIGINT", onSignal);
  process.off("SIGTERM", onSignal);
  if (flags.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else printer.summary(report, state, startedAt);
  return report.status === "succeeded" ? 0 : 1;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
