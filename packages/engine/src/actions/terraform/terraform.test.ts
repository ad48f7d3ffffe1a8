// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the tests hold workflow expressions
import { chmodSync, existsSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { coerceInputs } from "@gantry/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { builtinActionDir } from "../../git/builtin-actions.js";
import { loadWorkflow } from "../../loader/load-workflow.js";
import type { RunEvent } from "../../run/events.js";
import { runWorkflow } from "../../run/run-workflow.js";
import { LocalRunner } from "../../runners/local/local-runner.js";
import { tempDir } from "../../testing/temp-dir.js";

/** Terraform's own `show -json` output, from 0.12 to 1.15 (see the fixtures' README). */
const FIXTURES = "/work/shared/fixtures/terraform";
const fixture = (name: string) => JSON.parse(readFileSync(path.join(FIXTURES, name), "utf8"));

interface TerraformModule {
  planCounts(plan: unknown): {
    counts: Record<"add" | "change" | "destroy" | "replace" | "import" | "forget", number>;
    changed: Array<{ address: string; action: string }>;
  };
  commands(inputs: Record<string, unknown>, files: Record<string, unknown>): Record<string, string[]>;
  backendFile(config: Record<string, unknown>): string;
  binaryOf(inputs: { binary?: string }, found: (program: string) => boolean): string;
  planPath(inputs: { plan_dir?: string }, env: Record<string, string>): string;
}

const tmp = tempDir("gantry-terraform-");
let terraform: TerraformModule;

beforeAll(async () => {
  // The action's folder exactly as it ships (main.cjs beside step.cjs and checkout.sh).
  const dir = await builtinActionDir("terraform", tmp.dir);
  if (!dir) throw new Error("gantry/terraform is not a built-in action");
  terraform = createRequire(import.meta.url)(path.join(dir, "main.cjs")) as TerraformModule;
});
afterAll(() => tmp.cleanup());

describe("gantry/terraform's plan summary", () => {
  it("counts the changes of Terraform's real show -json output, 0.12 to 1.15, as Terraform's own summary does", () => {
    const counts = (name: string) => terraform.planCounts(fixture(name)).counts;
    expect(counts("basic.plan.json")).toEqual({
      add: 7,
      change: 0,
      destroy: 0,
      replace: 0,
      import: 0,
      forget: 0,
    });
    expect(counts("120_basic.plan.json")).toMatchObject({ add: 7, change: 0, destroy: 0 });
    expect(counts("no_changes.plan.json")).toMatchObject({ add: 0, change: 0, destroy: 0 });
    expect(counts("moved_block.plan.json")).toMatchObject({ add: 0, change: 0, destroy: 0 });
    // A replace counts once to add and once to destroy.
    expect(counts("action_reason.plan.json")).toEqual({
      add: 1,
      change: 0,
      destroy: 1,
      replace: 1,
      import: 0,
      forget: 0,
    });
    expect(terraform.planCounts(fixture("action_reason.plan.json")).changed).toEqual([
      { address: "null_resource.example", action: "replace" },
    ]);
    // The data source read in the 0.12 plan is no change.
    expect(terraform.planCounts(fixture("basic.plan.json")).changed.map((c) => c.action)).not.toContain(
      "read",
    );
  });

  it("counts updates, deletes, imports and forgets, which the fixtures lack", () => {
    const plan = {
      resource_changes: [
        { address: "a.u", change: { actions: ["update"] } },
        { address: "a.d", change: { actions: ["delete"] } },
        { address: "a.r", change: { actions: ["create", "delete"] } },
        { address: "a.i", change: { actions: ["no-op"], importing: { id: "i-1" } } },
        { address: "a.f", change: { actions: ["forget"] } },
      ],
    };
    expect(terraform.planCounts(plan)).toEqual({
      counts: { add: 1, change: 1, destroy: 2, replace: 1, import: 1, forget: 1 },
      changed: [
        { address: "a.u", action: "update" },
        { address: "a.d", action: "delete" },
        { address: "a.r", action: "replace" },
        { address: "a.i", action: "import" },
        { address: "a.f", action: "forget" },
      ],
    });
  });
});

describe("gantry/terraform's commands", () => {
  const files = { plan: "/p/plan.tfplan", vars: "/p/vars.tfvars.json", backend: "/p/backend.tfbackend" };

  it("plans non-interactively into a saved plan, with variables and backend settings from files", () => {
    expect(terraform.commands({ command: "plan", init_args: ["-upgrade"] }, files)).toEqual({
      init: ["init", "-input=false", "-backend-config=/p/backend.tfbackend", "-upgrade"],
      plan: [
        "plan",
        "-input=false",
        "-detailed-exitcode",
        "-out=/p/plan.tfplan",
        "-var-file=/p/vars.tfvars.json",
      ],
      show: ["show", "-json", "/p/plan.tfplan"],
    });
  });

  it("applies exactly a saved plan, without re-planning or variables", () => {
    expect(terraform.commands({ command: "apply" }, { ...files, saved: true })).toEqual({
      init: ["init", "-input=false", "-backend-config=/p/backend.tfbackend"],
      show: ["show", "-json", "/p/plan.tfplan"],
      apply: ["apply", "-input=false", "/p/plan.tfplan"],
    });
  });

  it("without a saved plan, applies (or destroys) the plan it just made", () => {
    const destroy = terraform.commands({ command: "destroy" }, { plan: "/p/plan.tfplan" });
    expect(destroy.plan).toEqual([
      "plan",
      "-input=false",
      "-detailed-exitcode",
      "-out=/p/plan.tfplan",
      "-destroy",
    ]);
    expect(destroy.apply).toEqual(["apply", "-input=false", "/p/plan.tfplan"]);
  });

  it("writes backend settings as HCL that cannot be read as templates", () => {
    expect(terraform.backendFile({ bucket: "b", key: "x/${var}/%{if}", encrypt: true, retries: 3 })).toBe(
      'bucket = "b"\nkey = "x/$${var}/%%{if}"\nencrypt = true\nretries = 3\n',
    );
  });

  it("takes terraform from PATH, else tofu, unless told", () => {
    expect(terraform.binaryOf({}, (p) => p === "terraform" || p === "tofu")).toBe("terraform");
    expect(terraform.binaryOf({}, (p) => p === "tofu")).toBe("tofu");
    expect(terraform.binaryOf({ binary: "/opt/tofu" }, () => true)).toBe("/opt/tofu");
  });

  it("keeps a plan in a folder per run and step", () => {
    expect(terraform.planPath({ plan_dir: "/plans" }, { GANTRY_RUN_ID: "r1", GANTRY_STEP_ID: "plan" })).toBe(
      "/plans/r1/plan.tfplan",
    );
    expect(
      terraform.planPath(
        {},
        { GANTRY_TERRAFORM_PLANS: "/x", GANTRY_RUN_ID: "r", GANTRY_STEP_ID: "s", GANTRY_ITEM_INDEX: "2" },
      ),
    ).toBe("/x/r/s-2.tfplan");
  });
});

/**
 * The action run as a step (the local runner, Gantry's own secret resolution) against a stand-in for the
 * terraform binary, which records what it was asked and answers `show -json` with Terraform's real
 * output. No terraform or tofu binary can be installed here, so this is how the commands are checked.
 */
describe("gantry/terraform as a step", () => {
  let fakeBin: string;
  let log: string;

  beforeAll(() => {
    log = path.join(tmp.dir, "terraform.log");
    fakeBin = tmp.write(
      "bin/terraform",
      `#!/usr/bin/env bash
echo "$(basename "$PWD") :: $* :: TF_IN_AUTOMATION=$TF_IN_AUTOMATION INPUT_VARS=\${INPUT_VARS:-unset}" >> "${log}"
case "$1" in
  init) echo "Terraform has been successfully initialized!" ;;
  workspace)
    # As Terraform before 1.4, which has no -or-create: the test sees the fallback too.
    if [ "$3" = -or-create ]; then echo 'flag provided but not defined: -or-create' >&2; exit 1; fi
    if [ "$2" = select ]; then echo "Workspace \\"$3\\" doesn't exist." >&2; exit 1; fi
    echo "Created and switched to workspace \\"$3\\"!" ;;
  plan)
    for a in "$@"; do
      case "$a" in
        -out=*) echo plan > "\${a#-out=}" ;;
        -var-file=*) cp "\${a#-var-file=}" "${tmp.dir}/vars-seen.json"; echo "\${a#-var-file=}" > "${tmp.dir}/vars-path" ;;
        -backend-config=*) ;;
      esac
    done
    echo "Plan: 1 to add, 0 to change, 1 to destroy."; exit 2 ;;
  show) cat "${FIXTURES}/action_reason.plan.json" ;;
  apply) echo "Apply complete! Resources: 1 added, 0 changed, 1 destroyed." ;;
esac
`,
    );
    chmodSync(fakeBin, 0o755);
    tmp.write("repo/infra/main.tf", 'resource "terraform_data" "x" {}\n');
  });

  it("plans, then an apply step applies exactly that plan; secrets stay masked and no private file stays", async () => {
    process.env.GANTRY_TEST_TF_PASSWORD = "tf-s3cr3t";
    const file = tmp.write(
      "wf/plan-apply.yaml",
      `steps:
  plan:
    uses: gantry/terraform
    with:
      dir: ${tmp.dir}/repo/infra
      binary: ${fakeBin}
      workspace: staging
      plan_dir: ${tmp.dir}/plans
      vars: {region: eu-west-1, db_password: ref+env://GANTRY_TEST_TF_PASSWORD}
  apply:
    needs: plan
    uses: gantry/terraform
    with:
      command: apply
      dir: ${tmp.dir}/repo/infra
      binary: ${fakeBin}
      plan: \${{ steps.plan.outputs.plan_path }}
`,
    );
    const { loaded, problems } = await loadWorkflow(file);
    expect(problems).toEqual([]);
    if (!loaded) throw new Error("not loaded");
    const events: RunEvent[] = [];
    const { report } = await runWorkflow(loaded, {
      runner: new LocalRunner({ tmpRoot: path.join(tmp.dir, "wf") }),
      info: {
        id: "run-tf",
        workflow: "w",
        attempt: 1,
        trigger: { type: "manual" },
        inputs: coerceInputs({}, {}).values,
      },
      parallel: 1,
      onEvent: (e) => events.push(e),
    });
    delete process.env.GANTRY_TEST_TF_PASSWORD;
    const lines = events.flatMap((e) => (e.type === "line" ? [`${e.step}: ${e.line}`] : []));
    expect(report.status, lines.join("\n")).toBe("succeeded");
    const planPath = path.join(tmp.dir, "plans", "run-tf", "plan.tfplan");
    expect(report.steps.plan?.outputs).toMatchObject({
      add: "1",
      change: "0",
      destroy: "1",
      replace: "1",
      changes: "true",
      plan_path: planPath,
    });
    expect(report.steps.plan?.outputs.summary).toBe(
      "**terraform plan** (workspace staging): 1 to add, 0 to change, 1 to destroy\n\n| resource | action |\n|---|---|\n| `null_resource.example` | replace |",
    );
    // What terraform was asked, in order, from the configuration's folder, never prompting.
    const calls = readFileSync(log, "utf8").trim().split("\n");
    expect(calls.map((c) => c.split(" :: ").slice(0, 2).join(" :: "))).toEqual([
      "infra :: init -input=false",
      "infra :: workspace select -or-create staging",
      "infra :: workspace select staging",
      "infra :: workspace new staging",
      `infra :: plan -input=false -detailed-exitcode -out=${planPath} -var-file=${readFileSync(path.join(tmp.dir, "vars-path"), "utf8").trim()}`,
      `infra :: show -json ${planPath}`,
      "infra :: init -input=false",
      `infra :: show -json ${planPath}`,
      `infra :: apply -input=false ${planPath}`,
    ]);
    // Terraform never saw the step's INPUT_* variables, which hold the secrets.
    expect(calls.every((c) => c.endsWith("TF_IN_AUTOMATION=1 INPUT_VARS=unset"))).toBe(true);
    // The variables reached it resolved, through a private file that is gone now.
    expect(JSON.parse(readFileSync(path.join(tmp.dir, "vars-seen.json"), "utf8"))).toEqual({
      region: "eu-west-1",
      db_password: "tf-s3cr3t",
    });
    expect(existsSync(readFileSync(path.join(tmp.dir, "vars-path"), "utf8").trim())).toBe(false);
    expect(lines.join("\n")).not.toContain("tf-s3cr3t");
    // The saved plan was private while it lived, and applying spent it.
    expect(existsSync(planPath)).toBe(false);
    expect(statSync(path.dirname(planPath)).mode & 0o777).toBe(0o700);
    expect(lines).toContain("apply: **terraform apply**: 1 to add, 0 to change, 1 to destroy");
  });

  it("says where the saved plan went missing", async () => {
    const file = tmp.write(
      "wf/apply-missing.yaml",
      `steps:
  apply:
    uses: gantry/terraform
    with: {command: apply, binary: ${fakeBin}, plan: /nowhere/plan.tfplan}
`,
    );
    const { loaded } = await loadWorkflow(file);
    if (!loaded) throw new Error("not loaded");
    const events: RunEvent[] = [];
    const { report } = await runWorkflow(loaded, {
      runner: new LocalRunner({ tmpRoot: path.join(tmp.dir, "wf") }),
      info: { id: "run-tf2", workflow: "w", attempt: 1, trigger: { type: "manual" }, inputs: {} },
      parallel: 1,
      onEvent: (e) => events.push(e),
    });
    expect(report.steps.apply?.status).toBe("failed");
    expect(events.flatMap((e) => (e.type === "line" ? [e.line] : []))).toContain(
      "gantry/terraform: the saved plan /nowhere/plan.tfplan is not on this worker: the plan and apply steps must run on the same machine until plans are kept as artifacts",
    );
  });
});
