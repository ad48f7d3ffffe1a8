// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the converter writes workflow expressions
import type { Rewrite } from "../github-actions/expressions.js";
import type { Findings } from "../report/report.js";
import { buildJobScript } from "../shared/job-script.js";
import { isRecord, type YamlSource } from "../source/yaml-source.js";
import type { ExpandedJob, ExpandedStep } from "./expand.js";
import type { CircleFeature } from "./features.js";

type Obj = Record<string, unknown>;

export interface CircleStepsInput {
  jobName: string;
  expanded: ExpandedJob;
  source: YamlSource;
  findings: Findings<CircleFeature>;
  /** `<< pipeline.x >>` replaced by expressions (or noted as unknown). */
  pipeline: (text: string) => string;
  /** The node's env names (hoisted variables take other names). */
  reserved: ReadonlySet<string>;
  /** The script builder's defaults for CircleCI (its variables, its paths). */
  defaults: { variables: Record<string, string>; paths: Record<string, string> };
  /** The node id of this job, for the name of the workspace artifact it persists. */
  id: string;
  /** The needed nodes whose jobs persist to the workspace, by node id. */
  persistingNeeds: string[];
  /** The folder the executor works in (CircleCI's default ~/project is the workspace). */
  workingDirectory?: string;
}

/**
 * The job's steps, or why not; `script`: every reason is one that a one-script job carries ($BASH_ENV,
 * step halt, background steps), so the job is better one script.
 */
export type CircleSteps = { steps: Obj[]; env: Obj } | { reasons: string[]; script: boolean };

/** The artifact a job's persist_to_workspace becomes, read by the jobs that attach the workspace. */
export function workspaceArtifact(nodeId: string): string {
  return `workspace-${nodeId}`;
}

/**
 * A CircleCI job as a Gantry job of steps, when one script cannot hold it (caches, workspaces, artifacts,
 * checkout after other steps): its steps in order in one workspace. `run` steps keep their command
 * (when: always/on_fail as if:), checkout is gantry/checkout, a restore_cache and the save_cache of the
 * same paths are one gantry/cache (restored at the restore's place, saved at the job's end when the key
 * missed), persist_to_workspace and attach_workspace are artifacts named after the persisting job,
 * store_artifacts and store_test_results are artifacts. Returns why not, when something stops it.
 */
export function convertCircleJobOfSteps(input: CircleStepsInput): CircleSteps {
  const { expanded, findings, source } = input;
  const reasons: string[] = [];
  // What a one-script job carries: with only these, the job is better one script.
  const scriptReasons: string[] = [];
  const steps: Obj[] = [];
  const env: Obj = {};
  const all = expanded.steps.map((s) => (s.type === "run" ? String(s.config.command ?? "") : "")).join("\n");
  if (/\bBASH_ENV\b/.test(all))
    scriptReasons.push(
      "its steps pass values on through $BASH_ENV, which a job of steps does not carry between steps",
    );
  if (/circleci-agent\s+step\s+halt/.test(all))
    scriptReasons.push("a step ends the job early (circleci-agent step halt)");
  const saves = expanded.steps.filter((s) => s.type === "save_cache");
  const usedSaves = new Set<ExpandedStep>();
  const home = (p: string) => p === "." || p === "" || p === "~/project" || p === input.workingDirectory;
  const inside = (p: string) => !p.startsWith("/") && !p.startsWith("~") && !p.split("/").includes("..");
  for (const [index, step] of expanded.steps.entries()) {
    const where = source.locate(step.path, { key: true });
    const c = step.config;
    switch (step.type) {
      case "checkout":
        steps.push({
          uses: "gantry/checkout",
          with: { depth: 0, ...(typeof c.path === "string" ? { path: c.path } : {}) },
        });
        findings.add("checkout", where, JSON.stringify(c));
        break;
      case "run": {
        if (c.background === true) {
          scriptReasons.push("a step runs in the background, which a job of steps does not do");
          break;
        }
        const command = input.pipeline(String(c.command ?? ""));
        const shell = typeof c.shell === "string" ? c.shell : expanded.executor.shell;
        const stepEnv: Obj = {};
        if (isRecord(c.environment))
          for (const [k, v] of Object.entries(c.environment))
            stepEnv[k] = typeof v === "string" ? input.pipeline(v) : v;
        const built = buildJobScript(
          [
            {
              index,
              label: typeof c.name === "string" ? c.name : (command.trim().split("\n")[0] ?? "").slice(0, 80),
              run: command,
              shell: shell ? `${shell.replace(/\s*\{0\}$/, "")} {0}` : "bash",
              env: stepEnv,
              ...(typeof c.working_directory === "string" ? { workingDirectory: c.working_directory } : {}),
            },
          ],
          { rewrite: passThrough, circleci: true, reserved: input.reserved, defaults: input.defaults },
        );
        if (built.blockers.length > 0) {
          reasons.push(...built.blockers.map((b) => b.detail));
          break;
        }
        if (c.background === undefined && c.no_output_timeout !== undefined)
          findings.add("no-output-timeout", where, String(c.no_output_timeout));
        const when =
          c.when === "always" ? "${{ always() }}" : c.when === "on_fail" ? "${{ failure() }}" : undefined;
        if (when) findings.add("run-when", where, String(c.when));
        Object.assign(env, built.env);
        steps.push({
          ...(typeof c.name === "string" ? { name: c.name } : {}),
          ...(when ? { if: when } : {}),
          run: built.script,
        });
        findings.add("run-step", where, typeof c.name === "string" ? c.name : "run");
        break;
      }
      case "restore_cache": {
        const keys = (Array.isArray(c.keys) ? c.keys : [c.key]).filter(
          (k) => typeof k === "string",
        ) as string[];
        const save = saves.find((s) => !usedSaves.has(s) && expanded.steps.indexOf(s) > index);
        if (!save) {
          reasons.push("restore_cache without a later save_cache (gantry/cache needs the paths it saves)");
          break;
        }
        usedSaves.add(save);
        const paths = (Array.isArray(save.config.paths) ? save.config.paths : []).map(String);
        const outside = paths.filter((p) => !inside(p));
        if (outside.length > 0) {
          reasons.push(
            `the cache's paths ${outside.join(", ")} are outside the workspace (keep caches inside it)`,
          );
          break;
        }
        const key = cacheKey(String(save.config.key ?? ""));
        const restore = keys.map(cacheKey);
        const bad = [key, ...restore].find((k) => "unsupported" in k);
        if (bad && "unsupported" in bad) {
          reasons.push(bad.unsupported);
          break;
        }
        const keyText = (key as { text: string }).text;
        const prefixes = restore.map((k) => (k as { text: string }).text).filter((k) => k !== keyText);
        steps.push({
          name: typeof c.name === "string" ? c.name : "Cache",
          uses: "gantry/cache",
          with: {
            key: keyText,
            ...(prefixes.length > 0 ? { restore_keys: prefixes.join("\n") } : {}),
            path: paths.join("\n"),
          },
        });
        findings.add(
          "caches",
          where,
          `restore_cache ${keys.join(", ")} + save_cache ${String(save.config.key ?? "")}`,
        );
        break;
      }
      case "save_cache":
        if (!usedSaves.has(step)) reasons.push("save_cache without an earlier restore_cache of it");
        break;
      case "persist_to_workspace": {
        const root = String(c.root ?? ".");
        const paths = (Array.isArray(c.paths) ? c.paths : []).map(String);
        if (!home(root) || !paths.every(inside)) {
          reasons.push(`persist_to_workspace from root ${root}: only the job's own folder converts`);
          break;
        }
        steps.push({
          uses: "gantry/upload-artifact",
          with: { name: workspaceArtifact(input.id), path: paths.join("\n") },
        });
        findings.add("workspaces", where, `persist_to_workspace -> artifact ${workspaceArtifact(input.id)}`);
        break;
      }
      case "attach_workspace": {
        const at = String(c.at ?? ".");
        if (!home(at) && !inside(at)) {
          reasons.push(`attach_workspace at ${at}: only a folder of the job's workspace converts`);
          break;
        }
        if (input.persistingNeeds.length === 0) {
          reasons.push("attach_workspace with no required job that persists to the workspace");
          break;
        }
        for (const need of input.persistingNeeds)
          steps.push({
            uses: "gantry/download-artifact",
            with: { name: workspaceArtifact(need), ...(home(at) ? {} : { path: at }) },
          });
        findings.add(
          "workspaces",
          where,
          `attach_workspace <- ${input.persistingNeeds.map(workspaceArtifact).join(", ")}`,
        );
        break;
      }
      case "store_artifacts":
      case "store_test_results": {
        const path = String(c.path ?? "");
        if (!inside(path)) {
          reasons.push(`${step.type} of ${path}: only files inside the workspace convert`);
          break;
        }
        const name =
          step.type === "store_test_results"
            ? "test-results"
            : String(c.destination ?? path.split("/").filter(Boolean).at(-1) ?? "artifact").replace(
                /[^A-Za-z0-9._-]/g,
                "-",
              );
        steps.push({
          uses: "gantry/upload-artifact",
          with: { name, path, ...(step.type === "store_test_results" ? { if_no_files_found: "warn" } : {}) },
        });
        findings.add("artifacts", where, `${step.type} ${path}`);
        break;
      }
      case "setup_remote_docker":
      case "orb":
        break;
      default:
        reasons.push(`it has the step ${String(c.step ?? step.type)}`);
    }
  }
  if (reasons.length + scriptReasons.length > 0)
    return { reasons: [...new Set([...scriptReasons, ...reasons])], script: reasons.length === 0 };
  return { steps, env };
}

/** A CircleCI cache key's template as a Gantry expression (checksum -> hashFiles, .Branch -> ref_name). */
function cacheKey(template: string): { text: string } | { unsupported: string } {
  let unsupported: string | undefined;
  const text = template.replace(/\{\{\s*([^}]*?)\s*\}\}/g, (all, inner: string) => {
    const checksum = /^checksum\s+"([^"]+)"$/.exec(inner);
    if (checksum) return `\${{ hashFiles('${(checksum[1] as string).replace(/'/g, "''")}') }}`;
    if (inner === ".Branch") return "${{ github.ref_name }}";
    if (inner === ".Revision") return "${{ github.sha }}";
    if (inner === "arch") return "linux";
    const envVar = /^\.Environment\.(\w+)$/.exec(inner);
    if (envVar) return `\${{ env.${envVar[1]} }}`;
    unsupported = `the cache key's ${all} has no counterpart`;
    return all;
  });
  return unsupported ? { unsupported } : { text };
}

/** The expressions the converter wrote itself (inputs, github, run) pass as they are. */
function passThrough(path: string[]): Rewrite {
  return ["inputs", "github", "run"].includes(path[0] as string)
    ? { path }
    : { unsupported: `${path.join(".")} in a script` };
}
