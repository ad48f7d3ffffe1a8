"use strict";
// gantry/terraform: init, select the workspace, then plan (saved, its changes counted from
// `show -json`), apply exactly a saved plan, or destroy; never waiting for input. Variables and backend
// settings (secret references resolved by Gantry) reach Terraform only through private files.
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { capture, checkout, fail, privateDir, readInputs, run, setOutput, summarize } = require("./step.cjs");

const ACTION = "gantry/terraform";
/** Changed resources listed in the summary; the counts cover them all. */
const SUMMARY_ROWS = 50;

/** Whether a program is on PATH. */
function onPath(program) {
  return (process.env.PATH ?? "")
    .split(path.delimiter)
    .some((dir) => dir && fs.existsSync(path.join(dir, program)));
}

/** The binary: as given, else terraform from PATH, else tofu (OpenTofu takes the same commands). */
function binaryOf(inputs, found = onPath) {
  if (inputs.binary) return inputs.binary;
  if (found("terraform")) return "terraform";
  if (found("tofu")) return "tofu";
  return "terraform";
}

/**
 * What a plan changes, counted as Terraform's own "Plan: N to add, N to change, N to destroy" does:
 * a replace (delete and create, in either order) counts once in add and once in destroy; reads (data
 * sources) and no-ops count nowhere. Imports and forgets (Terraform 1.5+, 1.7+) are counted apart.
 */
function planCounts(plan) {
  const counts = { add: 0, change: 0, destroy: 0, replace: 0, import: 0, forget: 0 };
  const changed = [];
  for (const rc of plan.resource_changes ?? []) {
    const actions = rc.change?.actions ?? [];
    const key = actions.join(",");
    let action;
    if (key === "create") action = "create";
    else if (key === "update") action = "update";
    else if (key === "delete") action = "delete";
    else if (key === "delete,create" || key === "create,delete") action = "replace";
    else if (key === "forget") action = "forget";
    if (rc.change?.importing) counts.import += 1;
    if (action === "create" || action === "replace") counts.add += 1;
    if (action === "update") counts.change += 1;
    if (action === "delete" || action === "replace") counts.destroy += 1;
    if (action === "replace") counts.replace += 1;
    if (action === "forget") counts.forget += 1;
    if (action) changed.push({ address: rc.address, action });
    else if (rc.change?.importing) changed.push({ address: rc.address, action: "import" });
  }
  return { counts, changed };
}

/** `key = value` lines for -backend-config: values as JSON, which HCL reads, with templates escaped. */
function backendFile(config) {
  return Object.entries(config)
    .map(
      ([key, value]) =>
        `${key} = ${JSON.stringify(value)
          .replace(/\$\{/g, () => "$${")
          .replace(/%\{/g, () => "%%{")}\n`,
    )
    .join("");
}

/** The commands of a command (plan, apply, destroy), with the files they read; none of them prompts. */
function commands(inputs, files) {
  const init = ["init", "-input=false"];
  if (files.backend) init.push(`-backend-config=${files.backend}`);
  init.push(...(inputs.init_args ?? []));
  const varFile = files.vars ? [`-var-file=${files.vars}`] : [];
  const plan = (destroy) => [
    "plan",
    "-input=false",
    "-detailed-exitcode",
    `-out=${files.plan}`,
    ...(destroy ? ["-destroy"] : []),
    ...varFile,
  ];
  // A saved plan already holds its variables: Terraform refuses -var-file beside it.
  const apply = ["apply", "-input=false", files.plan];
  if (inputs.command === "plan") return { init, plan: plan(false), show: ["show", "-json", files.plan] };
  if (files.saved) return { init, show: ["show", "-json", files.plan], apply };
  return { init, plan: plan(inputs.command === "destroy"), show: ["show", "-json", files.plan], apply };
}

/** Where a plan step keeps its plan: a private folder per run, outside the step's own (removed) folder. */
function planPath(inputs, env = process.env) {
  const base =
    inputs.plan_dir || env.GANTRY_TERRAFORM_PLANS || path.join(os.tmpdir(), "gantry-terraform-plans");
  const dir = path.join(base, env.GANTRY_RUN_ID ?? "run");
  const item = env.GANTRY_ITEM_INDEX === undefined ? "" : `-${env.GANTRY_ITEM_INDEX}`;
  return path.join(dir, `${env.GANTRY_STEP_ID ?? "terraform"}${item}.tfplan`);
}

function summaryOf(binary, inputs, counts, changed, applied) {
  const verb =
    inputs.command === "plan" ? "plan" : applied ? inputs.command : `${inputs.command} (not applied)`;
  const extra = [
    counts.import ? `${counts.import} to import` : "",
    counts.forget ? `${counts.forget} to forget` : "",
  ]
    .filter(Boolean)
    .map((t) => `, ${t}`)
    .join("");
  const lines = [
    `**${path.basename(binary)} ${verb}**${inputs.workspace ? ` (workspace ${inputs.workspace})` : ""}: ${counts.add} to add, ${counts.change} to change, ${counts.destroy} to destroy${extra}`,
  ];
  if (changed.length > 0) {
    lines.push("", "| resource | action |", "|---|---|");
    for (const c of changed.slice(0, SUMMARY_ROWS)) lines.push(`| \`${c.address}\` | ${c.action} |`);
    if (changed.length > SUMMARY_ROWS) lines.push(`| … and ${changed.length - SUMMARY_ROWS} more | |`);
  }
  return lines.join("\n");
}

async function main() {
  const inputs = readInputs();
  const dir = privateDir("gantry-terraform");
  if ((await checkout(inputs)) !== 0) return fail(ACTION, "the checkout failed");
  const cwd = path.resolve(inputs.dir || ".");
  if (!fs.existsSync(cwd)) {
    return fail(
      ACTION,
      `dir '${inputs.dir}' not found in ${process.cwd()}${inputs.repository ? "" : " (give repository: to check one out first)"}`,
    );
  }
  const binary = binaryOf(inputs);
  const files = {};
  if (inputs.vars && Object.keys(inputs.vars).length > 0) {
    files.vars = path.join(dir, "vars.tfvars.json");
    fs.writeFileSync(files.vars, JSON.stringify(inputs.vars), { mode: 0o600 });
  }
  if (inputs.backend_config && Object.keys(inputs.backend_config).length > 0) {
    files.backend = path.join(dir, "backend.tfbackend");
    fs.writeFileSync(files.backend, backendFile(inputs.backend_config), { mode: 0o600 });
  }
  if (inputs.command === "plan") {
    files.plan = planPath(inputs);
    fs.mkdirSync(path.dirname(files.plan), { recursive: true, mode: 0o700 });
  } else if (inputs.plan) {
    files.plan = path.resolve(inputs.plan);
    files.saved = true;
    if (!fs.existsSync(files.plan)) {
      return fail(
        ACTION,
        `the saved plan ${files.plan} is not on this worker: the plan and apply steps must run on the same machine until plans are kept as artifacts`,
      );
    }
  } else {
    files.plan = path.join(dir, "plan.tfplan");
  }
  const env = { TF_IN_AUTOMATION: "1", TF_INPUT: "0", CHECKPOINT_DISABLE: "1" };
  const cmds = commands(inputs, files);
  let code = await run(binary, cmds.init, { cwd, env });
  if (code !== 0) return fail(ACTION, `${binary} init failed`, code);
  if (inputs.workspace) {
    // -or-create: Terraform 1.4+ and OpenTofu; older versions select, then make it when that fails.
    code = await run(binary, ["workspace", "select", "-or-create", inputs.workspace], { cwd, env });
    if (code !== 0) code = await run(binary, ["workspace", "select", inputs.workspace], { cwd, env });
    if (code !== 0) code = await run(binary, ["workspace", "new", inputs.workspace], { cwd, env });
    if (code !== 0) return fail(ACTION, `cannot select or make workspace '${inputs.workspace}'`, code);
  }
  if (cmds.plan) {
    code = await run(binary, cmds.plan, { cwd, env });
    // -detailed-exitcode: 0 no changes, 2 changes, 1 an error.
    if (code !== 0 && code !== 2) return fail(ACTION, `${binary} plan failed`, code);
  }
  const shown = await capture(binary, cmds.show, { cwd, env });
  if (shown.code !== 0) return fail(ACTION, `${binary} show -json failed`, shown.code);
  const { counts, changed } = planCounts(JSON.parse(shown.stdout));
  for (const [name, value] of Object.entries(counts)) setOutput(name, String(value));
  const changes = counts.add + counts.change + counts.destroy + counts.import + counts.forget > 0;
  setOutput("changes", String(changes));
  if (inputs.command === "plan") {
    fs.chmodSync(files.plan, 0o600);
    setOutput("plan_path", files.plan);
    summarize(summaryOf(binary, inputs, counts, changed, false));
    return;
  }
  code = await run(binary, cmds.apply, { cwd, env });
  // A saved plan is spent once applied (Terraform calls it stale afterwards): it is removed either way.
  if (files.saved) fs.rmSync(files.plan, { force: true });
  summarize(summaryOf(binary, inputs, counts, changed, code === 0));
  if (code !== 0) return fail(ACTION, `${binary} apply failed`, code);
}

if (require.main === module) {
  main().catch((error) => fail(ACTION, error.stack ?? String(error), 1));
}

module.exports = { backendFile, binaryOf, commands, planCounts, planPath, summaryOf };
