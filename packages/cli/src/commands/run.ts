import { randomUUID } from "node:crypto";
import path from "node:path";
import { chooseRunNodes, coerceInputs, formatProblem, type RunNodes, usesNodes } from "@gantry/core";
import {
  createRunners,
  createSecretCache,
  type LoadedWorkflow,
  loadWorkflow,
  NodeInventory,
  resolveWorkflowSecrets,
  runWorkflow,
} from "@gantry/engine";
import type { Command } from "commander";
import { UsageError } from "../errors.js";
import { LivePrinter } from "../output/live-printer.js";
import { readConfigFile } from "../roles/config.js";
import { type NodeSettings, nodeSettingsOf } from "../roles/nodes.js";
import { readRawInputs } from "./inputs.js";
import { libraryLoadOptions } from "./library-options.js";

interface RunFlags {
  input: string[];
  inputsFile?: string;
  parallel: string;
  json?: boolean;
  config?: string;
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
    .option(
      "--config <file>",
      "where steps on runner type ssh find their nodes (default $GANTRY_CONFIG, else ./gantry.yaml)",
    )
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
  // gantry.yaml's libraries, for `uses: <library>/…` actions and workflows.
  const { loaded, problems } = await loadWorkflow(file, await libraryLoadOptions(flags.config));
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
  const settings = await nodeSettings(flags.config);
  const runId = randomUUID();
  const nodes = await runNodes(loaded, settings, {
    id: runId,
    name: loaded.workflow.name ?? file,
    inputs: inputs.values,
  });
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
    // Docker, Kubernetes and SSH clients load only when a step asks for that runner.
    runner: createRunners(["local", "docker", "kubernetes", "ssh"], { ssh: settings.client }),
    parallel,
    signal: abort.signal,
    secrets: { cache },
    info: {
      id: runId,
      workflow: name,
      attempt: 1,
      trigger: { type: "manual" },
      inputs: inputs.values,
      secrets,
      ...(nodes ? { nodes } : {}),
    },
    onEvent: (event) => printer.handle(event),
  });
  process.off("SIGINT", onSignal);
  process.off("SIGTERM", onSignal);
  if (flags.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else printer.summary(report, state, startedAt);
  return report.status === "succeeded" ? 0 : 1;
}

/** gantry.yaml's node inventory and SSH settings (none without a config file), and its folder. */
async function nodeSettings(flag: string | undefined): Promise<NodeSettings & { configDir: string }> {
  const file = flag ?? process.env.GANTRY_CONFIG ?? "gantry.yaml";
  const config = await readConfigFile(file, flag !== undefined || process.env.GANTRY_CONFIG !== undefined);
  const configDir = path.dirname(path.resolve(file));
  return { ...nodeSettingsOf(config, configDir), configDir };
}

/** The nodes this run targets, chosen from the inventory now, as a server does when a run starts. */
async function runNodes(
  loaded: LoadedWorkflow,
  settings: NodeSettings & { configDir: string },
  run: { id: string; name: string; inputs: Record<string, unknown> },
): Promise<RunNodes | undefined> {
  const actions = Object.fromEntries(Object.entries(loaded.actions).map(([id, a]) => [id, a.spec]));
  if (!usesNodes(loaded.workflow, actions) || settings.entries.length === 0) return undefined;
  const inventory = new NodeInventory({
    entries: settings.entries,
    defaults: settings.defaults,
    baseDir: settings.configDir,
  });
  const { nodes, problems } = await inventory.current();
  for (const problem of problems) process.stderr.write(`nodes: ${problem}\n`);
  const secretInputs = new Set(
    Object.entries(loaded.workflow.inputs ?? {})
      .filter(([, spec]) => spec.type === "secret")
      .map(([name]) => name),
  );
  const inputs = Object.fromEntries(Object.entries(run.inputs).filter(([name]) => !secretInputs.has(name)));
  const info = { id: run.id, workflow: run.name, attempt: 1, trigger: { type: "manual" }, inputs };
  return chooseRunNodes(loaded.workflow, actions, info, nodes);
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
