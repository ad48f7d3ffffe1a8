// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the tests hold workflow expressions
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { tempDir } from "../../../engine/src/testing/temp-dir.js";
import { gantry } from "../testing/gantry-process.js";
import { importFixtures, importFixturesDir } from "../testing/import-fixtures.js";

interface JsonReport {
  files: Array<{
    file: string;
    outputs: Array<{ path: string; kind: string; name: string; complete: boolean; written: string }>;
    findings: Array<{ feature: string; outcome: string; detail: string; line?: number; output?: string }>;
    errors: string[];
  }>;
  problems: string[];
}

const temp = tempDir("gantry-import-cli-");
let runs = 0;
afterAll(() => temp.cleanup());

/** Converts every fixture of a kind into a folder with the CLI; the folder and the JSON report. */
async function importAll(kind: string, ...extra: string[]): Promise<{ out: string; report: JsonReport }> {
  const out = path.join(temp.dir, `${kind}-${++runs}`);
  const result = await gantry([
    "import",
    kind,
    path.join(importFixturesDir(), kind),
    "--out",
    out,
    "--json",
    ...extra,
  ]);
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  return { out, report: JSON.parse(result.stdout) as JsonReport };
}

const fileOf = (report: JsonReport, fragment: string) => {
  const found = report.files.find((f) => f.file.includes(fragment));
  if (!found) throw new Error(`no report for ${fragment}`);
  return found;
};
const features = (file: JsonReport["files"][number], feature: string) =>
  file.findings.filter((f) => f.feature === feature);
const read = (out: string, file: string) => parse(readFileSync(path.join(out, file), "utf8"));

describe("gantry import on the real files of public repositories", () => {
  it.each(["cronjob", "rundeck", "github-actions", "circleci"])(
    "converts every %s fixture into files that gantry validate accepts",
    async (kind) => {
      const { out, report } = await importAll(kind);
      const sources = importFixtures(kind);
      expect(report.files.map((f) => f.file).sort()).toEqual(sources);
      for (const file of report.files) {
        expect(file.errors).toEqual([]);
        expect(file.outputs.length).toBeGreaterThan(0);
        // Every file reports what it used, and every output that is not complete says why at its top.
        expect(file.findings.length).toBeGreaterThan(2);
        for (const output of file.outputs) {
          const text = readFileSync(output.written, "utf8");
          expect(text.split("\n")[0]).toMatch(/^# Converted by `gantry import /);
          if (!output.complete) expect(text).toMatch(/^# NOT FULLY CONVERTED: /m);
        }
      }
      expect(report.problems).toEqual([]);
      const validated = await gantry(["validate", out]);
      // A Rundeck job reference names a job the export may not hold: validate says so, and nothing else.
      const lines = validated.stdout.split("\n").filter(Boolean);
      for (const line of lines)
        expect(line).toMatch(/: steps\.\w+\.uses: no workflow '[\w-]+' in the same source/);
      expect(lines.length).toBe(kind === "rundeck" ? 4 : 0);
      if (lines.length === 0) {
        expect(validated.stderr).toMatch(/^✓ \d+ files valid/);
        expect(validated.code).toBe(0);
      }
    },
    60_000,
  );

  it("CronJobs: the schedule's policies, retries, deadline, env and comments", async () => {
    const { out, report } = await importAll("cronjob");
    const zot = read(out, "zot-cache-warmer.yaml");
    expect(zot.on.schedule).toEqual([{ cron: "0 * * * *", concurrency: "forbid", starting_deadline: "5m" }]);
    expect(zot.steps.warmer).toMatchObject({
      timeout: "20m",
      retry: { attempts: 2, backoff: "exponential", delay: "10s" },
      runner: {
        type: "kubernetes",
        namespace: "zot",
        service_account: "zot-cache-warmer",
        user: "65532:65532",
      },
      env: {
        ZOT_REGISTRY_URL: "http://zot.zot.svc.cluster.local:5000",
        RATE_LIMIT_MS: "250",
        LOG_LEVEL: "info",
      },
    });
    const zotText = readFileSync(path.join(out, "zot-cache-warmer.yaml"), "utf8");
    expect(zotText).toContain(
      "      # Don't run a new Job while a previous one is still running. Sequential\n",
    );
    expect(zotText).toContain("      # - name: ZOT_USERNAME\n");
    const oslo = read(out, "cron-job-timezone.yaml");
    expect(oslo.on.schedule).toEqual([{ cron: "* * * * *", timezone: "Europe/Oslo", concurrency: "allow" }]);
    expect(features(fileOf(report, "skiperator"), "other-object").map((f) => f.detail)).toEqual([
      "ServiceAccount cron-job-timezone-skipjob stays a Kubernetes object",
      "Pod stays a Kubernetes object",
    ]);
    expect(read(out, "actions/descheduler-cronjob-descheduler/action.yaml").runs).toEqual({
      using: "container",
      image: "registry.k8s.io/descheduler/descheduler:v0.36.0",
      entrypoint: ["/bin/descheduler"],
      command: ["--policy-config-file", "/policy-dir/policy.yaml", "--v", "3"],
    });
    expect(features(fileOf(report, "ct-monitor"), "env-from")[0]).toMatchObject({ outcome: "manual" });
  });

  it("CronJobs with --runner docker: the docker runner, and what it cannot carry reported", async () => {
    const { out, report } = await importAll("cronjob", "--runner", "docker");
    expect(read(out, "zot-cache-warmer.yaml").steps.warmer.runner).toEqual({
      type: "docker",
      user: "65532:65532",
      pull: "if-missing",
      cpus: "100m",
      memory: "64Mi",
    });
    expect(features(fileOf(report, "zot"), "docker-runner-drops").length).toBeGreaterThan(0);
  });

  it("Rundeck: Quartz schedules, options, secure options from Key Storage, node filters, and what waits for other features", async () => {
    const { out, report } = await importAll("rundeck");
    const nightly = read(out, "nightly-catalog-rebuild.yaml");
    expect(nightly.on.schedule).toEqual([{ cron: "0 0 * * *" }]);
    expect(nightly.inputs.catalog).toEqual({
      type: "choice",
      enum: ["inventory", "partner", "shipping-rates"],
      description: "catalog name",
      default: "inventory",
      required: true,
    });
    expect(features(fileOf(report, "nightly"), "node-filter")[0]).toMatchObject({
      outcome: "converted",
      detail: "'tags: db' -> nodes: 'tags:db'",
    });
    expect(nightly.defaults.runner).toEqual({ type: "ssh", nodes: "tags:db", keep_going: true });
    const stfc = read(out, "01-list-projects.yaml");
    expect(stfc.on.schedule).toEqual([{ cron: "0 0-23/2 * * *" }]);
    expect(stfc.inputs.OpenstackAdminPassword.type).toBe("secret");
    expect(stfc.env.RD_OPTION_OPENSTACKADMINPASSWORD).toBe(
      "${{ inputs.OpenstackAdminPassword || secrets.OPENSTACKADMINPASSWORD }}",
    );
    expect(stfc.defaults).toEqual({ timeout: "10m" });
    const deploy = fileOf(report, "Deploy");
    expect(features(deploy, "step-jobref").map((f) => f.detail)).toEqual([
      "web/install -version ${option.version}",
      "web/stop",
      "web/start",
    ]);
    expect(features(deploy, "step-plugin")[0]?.detail).toBe("JIRA-Issue-Exists (settings: issue-key)");
    // The HipChat token of the export is not copied anywhere.
    expect(readFileSync(path.join(out, "deploy.yaml"), "utf8")).not.toContain(
      "3c487171c6bf940d31ae6262920604",
    );
    expect(JSON.stringify(report)).not.toContain("3c487171c6bf940d31ae6262920604");
  });

  it("GitHub Actions: which jobs convert, which wait for #23-#25, and why", async () => {
    const { out, report } = await importAll("github-actions");
    const astropy = read(out, "astropy-astropy-github-workflows-update-credits.yaml");
    // A job of steps: each of GitHub's steps one of its own, the setup action's image the job's.
    expect(astropy.steps["check-whatsnew-stats"]).toMatchObject({
      if: "${{ github.event_name != 'schedule' }}",
      runner: { type: "docker", image: "python:3" },
      steps: [
        { name: "Checkout code", uses: "gantry/checkout", with: { depth: 0 } },
        {
          name: "Check the latest What's New page",
          env: { GITHUB_TOKEN: "${{ secrets.GITHUB_TOKEN }}" },
          run: expect.stringContaining("pipx run scripts/update-latest-whatsnew-stats.py --check"),
        },
        { name: "Show resulting diff", run: expect.stringContaining("git diff docs/whatsnew/") },
      ],
    });
    // Its steps read each other's outputs (a job of steps can) and pass a value on through $GITHUB_ENV
    // (one cannot): the placeholder says what to do.
    expect(astropy.steps["update-credits"].run).toContain("$GITHUB_ENV or $GITHUB_PATH");
    // Its jobs upload and download artifacts, which a job of steps holds; what leaves them is an action
    // Gantry has not, and a download of every artifact at once (no name), said as such.
    const flask = read(out, "pallets-flask-github-workflows-publish.yaml");
    expect(flask.steps.build.run).toContain("it uses astral-sh/setup-uv@");
    expect(flask.steps.build.run).not.toContain("upload-artifact");
    expect(features(fileOf(report, "flask"), "artifacts-unnamed")[0]).toMatchObject({ outcome: "manual" });
    expect(features(fileOf(report, "flask"), "environment")[0]).toMatchObject({
      outcome: "later",
      needs: "environments, #24",
    });
    // Its jobs' services run beside the runner's machine, not a container: said for each.
    expect(features(fileOf(report, "gorm"), "services-no-container").length).toBe(5);
    expect(features(fileOf(report, "scipy"), "reusable-call")[0]).toMatchObject({
      outcome: "later",
      needs: "sub-workflows, #25",
    });
    expect(features(fileOf(report, "basic-validation"), "on-workflow-call")[0]).toMatchObject({
      outcome: "later",
    });
    const fastapi = read(out, "fastapi-fastapi-github-workflows-translate.yaml");
    expect(fastapi.inputs.command).toEqual({
      type: "choice",
      enum: [
        "translate-page",
        "translate-lang",
        "update-outdated",
        "add-missing",
        "update-and-add",
        "remove-removable",
      ],
      description: "Command to run",
    });
    expect(fastapi.inputs.max).toEqual({
      type: "number",
      description: "Maximum number of items to translate (e.g. 10)",
      default: 10,
    });
    expect(read(out, "actions/pre-commit/action.yaml").runs.run).toContain("needs composite actions (#23)");
    // No converted script splices an expression.
    for (const file of readdirSync(out).filter((f) => f.endsWith(".yaml"))) {
      const workflow = read(out, file);
      type Step = { run?: string; with?: { run?: string }; steps?: Step[] };
      const nodes = Object.values(workflow.steps) as Step[];
      for (const step of [...nodes, ...nodes.flatMap((n) => n.steps ?? [])]) {
        expect(step.run ?? step.with?.run ?? "").not.toContain("${{");
      }
    }
  });

  it("CircleCI: one workflow per workflow, scheduled triggers, orbs listed with what they provided", async () => {
    const { out, report } = await importAll("circleci");
    const monthly = read(out, "mne-tools-mne-python-circleci-config-monthly.yaml");
    expect(monthly.on.schedule).toHaveLength(1);
    expect(monthly.on).not.toHaveProperty("push");
    const cypress = fileOf(report, "cypress");
    expect(features(cypress, "orbs").map((f) => f.detail)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^cypress: cypress-io\/cypress@6\.1\.0; used here: cypress\//),
      ]),
    );
    const cli = read(out, "circleci-public-circleci-cli-circleci-config-ci.yaml");
    expect(cli.steps["smoke-test-snap"]).toMatchObject({
      needs: ["deploy"],
      if: "${{ github.ref_name == 'main' }}",
    });
    expect(cli.steps["smoke-test-snap"].steps.map((s: { name: string }) => s.name)).toEqual([
      "Install snapd",
      "Install circleci via Snap stable channel",
      "Verify circleci binary",
    ]);
    expect(cli.steps["smoke-test-snap"].steps[1].run).toContain("sudo snap install circleci");
    // Workspaces and artifacts: the docs job persists to the workspace as the artifact workspace-docs.
    expect(features(fileOf(report, "circleci-cli"), "workspaces")[0]).toMatchObject({
      outcome: "difference",
      detail: "persist_to_workspace -> artifact workspace-docs",
    });
    expect(existsSync(path.join(out, "scipy-scipy-circleci-config-default.yaml"))).toBe(true);
  });

  it("prints the workflows and the report when no --out is given", async () => {
    const file = importFixtures("rundeck").find((f) => f.includes("nightly")) as string;
    const result = await gantry(["import", "rundeck", file]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /^---\n# nightly-catalog-rebuild\.yaml\n# Converted by `gantry import rundeck`/,
    );
    expect(result.stderr).toContain("not converted yet (2):");
    expect(result.stderr).toMatch(/✓ 1 file -> 1 file: \d+ converted/);
  });

  it("leaves files that exist alone unless --force", async () => {
    const file = importFixtures("cronjob").find((f) => f.includes("descheduler")) as string;
    const out = path.join(temp.dir, `again-${++runs}`);
    expect((await gantry(["import", "cronjob", file, "--out", out])).code).toBe(0);
    const again = await gantry(["import", "cronjob", file, "--out", out]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("these files exist (use --force to overwrite them):");
    expect((await gantry(["import", "cronjob", file, "--out", out, "--force"])).code).toBe(0);
  });

  it("refuses an unknown kind, and a missing path", async () => {
    const kind = await gantry(["import", "jenkins", "x"]);
    expect(kind.code).toBe(2);
    expect(kind.stderr).toContain("unknown kind 'jenkins': use github-actions, circleci, cronjob, rundeck");
    const missing = await gantry(["import", "cronjob", path.join(temp.dir, "nope.yaml")]);
    expect(missing.stderr).toContain("not found:");
  });
});
