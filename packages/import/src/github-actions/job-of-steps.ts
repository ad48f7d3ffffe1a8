// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the converter writes workflow expressions
import type { Findings } from "../report/report.js";
import { buildJobScript } from "../shared/job-script.js";
import { isRecord, type YamlSource } from "../source/yaml-source.js";
import type { ReferenceRewriter } from "./expressions.js";
import type { GithubFeature } from "./features.js";
import { actionName, checkoutInputs, classifyAction } from "./known-actions.js";
import { secret, type WorkflowScope } from "./references.js";
import { rewriteMap, rewriteValue } from "./values.js";

type Obj = Record<string, unknown>;
type At = { line: number; col: number };

export interface JobOfStepsInput {
  id: string;
  job: Obj;
  source: YamlSource;
  scope: WorkflowScope;
  findings: Findings<GithubFeature>;
  /** The workflow's defaults.run (shell, working-directory). */
  defaults: Obj;
  /** Rewrites references for the node (evaluated when it starts). */
  rewrite: ReferenceRewriter;
  /** The node's runner so far (labels, a container's or a setup action's image). */
  runner: Obj;
}

export type JobOfSteps =
  | {
      steps: Obj[];
      outputs?: Obj;
      services?: Obj;
      routes: Array<{ from: Array<string | number>; to: Array<string | number> }>;
    }
  | { blockers: Array<{ feature: GithubFeature; detail: string; at: At }> };

/** Shells an inner step of Gantry runs as they are; bash and sh forms go through the script builder. */
const OWN_SHELLS: Record<string, string> = { python: "python", node: "node" };

/**
 * A GitHub job as a Gantry job of steps: each of its steps an inner step in the same order, sharing one
 * workspace, with its own name, id, if, env, continue_on_error and timeout, and `steps.<id>` meaning the
 * job's own steps, as in GitHub. `run:` steps keep their script (each `${{ }}` read from the step's env,
 * never spliced into the text); actions/checkout, actions/cache and actions/upload- and
 * download-artifact become Gantry's built-in actions; setup actions already chose the job's image.
 * Returns what stops it instead, when something does (another action, a $GITHUB_ENV that later steps
 * read, a shell Gantry has not).
 */
export function convertJobOfSteps(input: JobOfStepsInput): JobOfSteps {
  const { id, job, source, scope, findings } = input;
  const base = ["jobs", id];
  const at = (...path: Array<string | number>) => source.locate([...base, ...path], { key: true });
  const blockers: Array<{ feature: GithubFeature; detail: string; at: At }> = [];
  const block = (feature: GithubFeature, detail: string, where: At) =>
    blockers.push({ feature, detail, at: where });
  const steps = Array.isArray(job.steps) ? job.steps.filter(isRecord) : [];
  // Inside the job, steps.<id> names the job's earlier steps, and hashFiles() reads its workspace.
  const earlier = new Map<string, string>();
  // An inner id may not repeat a node's id (steps.<id> would name both): such a step is renamed.
  const nodeIds = new Set(scope.jobs.values());
  const idOf = (step: string) => {
    if (!nodeIds.has(step)) return step;
    let n = 1;
    let name = `${step}_step`;
    while (nodeIds.has(name)) name = `${step}_step${++n}`;
    return name;
  };
  const inner: ReferenceRewriter = Object.assign(
    (path: string[]) => {
      if (path[0] !== "steps") return input.rewrite(path);
      const [, step, what, ...rest] = path;
      const own = step === undefined ? undefined : earlier.get(step);
      if (step === undefined || own === undefined)
        return { unsupported: `steps.${step ?? ""} is not an earlier step of this job` };
      if (what === "outputs" || what === "outcome") return { path: ["steps", own, what, ...rest] };
      if (what === "conclusion") return { path: ["steps", own, "result", ...rest] };
      return { unsupported: `steps.${step}.${what ?? ""}` };
    },
    { readsWorkspace: true },
  );
  const jobDefaults = isRecord(job.defaults) && isRecord(job.defaults.run) ? job.defaults.run : {};
  const defaultShell = jobDefaults.shell ?? input.defaults.shell;
  const defaultDir = jobDefaults["working-directory"] ?? input.defaults["working-directory"];
  const jobEnv = new Set(isRecord(job.env) ? Object.keys(job.env) : []);
  const all = steps.map((s) => (typeof s.run === "string" ? s.run : "")).join("\n");
  if (/\bGITHUB_(ENV|PATH)\b/.test(all)) block("github-env-steps", "$GITHUB_ENV / $GITHUB_PATH", at("steps"));

  const out: Obj[] = [];
  const routes: Array<{ from: Array<string | number>; to: Array<string | number> }> = [];
  steps.forEach((step, index) => {
    const where = at("steps", index);
    const common: Obj = {};
    if (typeof step.name === "string") {
      const name = rewriteValue(step.name, inner);
      if ("value" in name) common.name = name.value;
    }
    if (typeof step.id === "string") {
      common.id = idOf(step.id);
      if (common.id !== step.id) findings.add("step-id-renamed", where, `${step.id} -> ${common.id}`);
    }
    if (step.if !== undefined) {
      const raw = String(step.if).trim();
      const text = /^\$\{\{[\s\S]*\}\}$/.test(raw) ? raw : `\${{ ${raw} }}`;
      const cond = rewriteValue(text, inner);
      if ("value" in cond) {
        common.if = cond.value;
        findings.add("step-if", where, raw);
      } else
        block((cond.feature ?? "context-unsupported") as GithubFeature, `if: ${cond.unsupported}`, where);
    }
    if (step["continue-on-error"] !== undefined) {
      const value = rewriteValue(step["continue-on-error"], inner);
      if ("value" in value) {
        common.continue_on_error = value.value;
        findings.add("step-continue-on-error", where, String(step["continue-on-error"]));
      } else block("context-unsupported", `continue-on-error: ${value.unsupported}`, where);
    }
    const minutes = step["timeout-minutes"];
    if (typeof minutes === "number") {
      common.timeout = `${minutes}m`;
      findings.add("step-timeout-steps", where, `${minutes} minutes`);
    } else if (minutes !== undefined)
      block("context-unsupported", `timeout-minutes: ${String(minutes)}`, where);
    const { values: env, dropped } = rewriteMap(step.env, inner);
    for (const d of dropped)
      block((d.feature ?? "context-unsupported") as GithubFeature, `env.${d.key}: ${d.reason}`, where);

    const converted =
      typeof step.run === "string"
        ? runStep(
            step,
            index,
            { inner, env, defaultShell, defaultDir, reserved: new Set([...jobEnv, ...Object.keys(env)]) },
            where,
          )
        : typeof step.uses === "string"
          ? usesStep(step.uses, isRecord(step.with) ? step.with : {}, inner, scope, where)
          : { skip: true as const };
    if ("skip" in converted) return;
    if ("blockers" in converted) {
      blockers.push(...converted.blockers);
      return;
    }
    for (const [feature, detail] of converted.findings) findings.add(feature, where, detail);
    const stepEnv = { ...env, ...(converted.env ?? {}) };
    out.push({
      ...common,
      ...(converted.step.uses !== undefined ? { uses: converted.step.uses } : {}),
      ...(converted.step.with !== undefined ? { with: converted.step.with } : {}),
      ...(Object.keys(stepEnv).length > 0 ? { env: stepEnv } : {}),
      ...(converted.step.shell !== undefined ? { shell: converted.step.shell } : {}),
      ...(converted.step.working_directory !== undefined
        ? { working_directory: converted.step.working_directory }
        : {}),
      ...(converted.step.run !== undefined ? { run: converted.step.run } : {}),
    });
    routes.push({
      from: [...base, "steps", index],
      to: ["steps", scope.jobs.get(id) ?? id, "steps", out.length - 1],
    });
    if (typeof step.id === "string") earlier.set(step.id, common.id as string);
  });

  // The job's outputs, under the names other jobs read them by (see WorkflowScope.outputs).
  let outputs: Obj | undefined;
  if (isRecord(job.outputs)) {
    outputs = {};
    const mapped = scope.outputs.get(id) ?? new Map<string, string>();
    for (const [name, raw] of Object.entries(job.outputs)) {
      const value = rewriteValue(raw, inner);
      if ("value" in value) {
        outputs[mapped.get(name) ?? name] = value.value;
        findings.add("job-outputs", at("outputs", name), `${name}: ${String(raw)}`);
      } else block("context-unsupported", `outputs.${name}: ${value.unsupported}`, at("outputs", name));
    }
  }

  // Service containers: Gantry starts them for a docker job, reachable by their names.
  let services: Obj | undefined;
  if (isRecord(job.services)) {
    if (input.runner.type !== "docker") {
      block(
        "services-no-container",
        `${Object.keys(job.services).join(", ")}: Gantry starts service containers for a job in a container (container: or a setup action's image)`,
        at("services"),
      );
    } else {
      services = {};
      for (const [name, raw] of Object.entries(job.services)) {
        const spec = typeof raw === "string" ? { image: raw } : isRecord(raw) ? raw : {};
        const image = rewriteValue(spec.image, inner);
        if (!("value" in image) || typeof image.value !== "string" || image.value === "") {
          block("services", `${name}: image ${String(spec.image)}`, at("services", name));
          continue;
        }
        const { values: serviceEnv } = rewriteMap(spec.env, inner);
        services[name] = {
          image: image.value,
          ...(Object.keys(serviceEnv).length > 0 ? { env: serviceEnv } : {}),
          ...(Array.isArray(spec.ports)
            ? { ports: spec.ports.map((p) => (typeof p === "number" ? p : String(p))) }
            : {}),
          ...(typeof spec.options === "string" ? { options: spec.options } : {}),
        };
        findings.add("services", at("services", name), `${name}: ${image.value}`);
      }
    }
  }
  if (blockers.length > 0) return { blockers };
  findings.add("job-of-steps", at("steps"), `${out.length} step(s)`);
  return {
    steps: out,
    routes,
    ...(outputs && Object.keys(outputs).length > 0 ? { outputs } : {}),
    ...(services ? { services } : {}),
  };
}

type Converted =
  | { skip: true }
  | { blockers: Array<{ feature: GithubFeature; detail: string; at: At }> }
  | { step: Obj; env?: Obj; findings: Array<[GithubFeature, string]> };

/** A `run:` step: its script, with its `${{ }}` read from variables of its env. */
function runStep(
  step: Obj,
  index: number,
  c: {
    inner: ReferenceRewriter;
    env: Obj;
    defaultShell: unknown;
    defaultDir: unknown;
    reserved: ReadonlySet<string>;
  },
  where: At,
): Converted {
  const run = step.run as string;
  const shell =
    typeof step.shell === "string"
      ? step.shell
      : typeof c.defaultShell === "string"
        ? c.defaultShell
        : undefined;
  const dir =
    typeof step["working-directory"] === "string"
      ? step["working-directory"]
      : typeof c.defaultDir === "string"
        ? c.defaultDir
        : undefined;
  const own = shell !== undefined ? OWN_SHELLS[shell.trim()] : undefined;
  if (own !== undefined) {
    if (run.includes("${{"))
      return {
        blockers: [
          { feature: "step-shell-other", detail: `shell: ${shell} with \${{ }} in its script`, at: where },
        ],
      };
    return {
      step: { shell: own, run, ...(dir !== undefined ? { working_directory: dir } : {}) },
      findings: [["step-shell", `shell: ${shell}`]],
    };
  }
  const built = buildJobScript(
    [
      {
        index,
        label: typeof step.name === "string" ? step.name : (run.trim().split("\n")[0] ?? ""),
        run,
        ...(shell !== undefined ? { shell } : {}),
        ...(dir !== undefined ? { workingDirectory: dir } : {}),
        env: {},
      },
    ],
    { rewrite: c.inner, reserved: c.reserved },
  );
  if (built.blockers.length > 0)
    return {
      blockers: built.blockers.map((b) => ({
        feature: b.feature as GithubFeature,
        detail: b.detail,
        at: where,
      })),
    };
  const notes = built.notes.map((n) => [n.feature as GithubFeature, n.detail] as [GithubFeature, string]);
  return { step: { run: built.script }, env: built.env, findings: notes };
}

/** A `uses:` step: Gantry's built-in action for the ones it has. */
function usesStep(
  uses: string,
  w: Obj,
  inner: ReferenceRewriter,
  scope: WorkflowScope,
  where: At,
): Converted {
  const kind = classifyAction(uses, w);
  if (kind.kind === "setup") return { skip: true };
  const withOf = (map: Record<string, string>, dropped: string[] = []): Obj | { unsupported: string } => {
    const out: Obj = {};
    for (const [key, value] of Object.entries(w)) {
      const to = map[key];
      if (to === undefined) {
        dropped.push(key);
        continue;
      }
      const converted = rewriteValue(value, inner);
      if (!("value" in converted)) return { unsupported: `with.${key}: ${converted.unsupported}` };
      out[to] = converted.value;
    }
    return out;
  };
  const blocked = (feature: GithubFeature, detail: string): Converted => ({
    blockers: [{ feature, detail, at: where }],
  });
  if (kind.kind === "checkout") {
    const inputs = checkoutInputs(w);
    for (const [key, value] of Object.entries(inputs.with)) {
      const converted = rewriteValue(value, inner);
      if (!("value" in converted))
        return blocked("context-unsupported", `with.${key}: ${converted.unsupported}`);
      inputs.with[key] = converted.value;
    }
    if (typeof inputs.with.token === "string" && inputs.with.token.includes("secrets.GITHUB_TOKEN"))
      secret(scope, "GITHUB_TOKEN");
    const found: Array<[GithubFeature, string]> = [["checkout", uses]];
    if (inputs.dropped.length > 0) found.push(["checkout-other", inputs.dropped.join(", ")]);
    return {
      step: {
        uses: "gantry/checkout",
        with: {
          ...inputs.with,
          ...(inputs.prelude.length > 0 ? { run: `${inputs.prelude.join("\n")}\n` } : {}),
        },
      },
      findings: found,
    };
  }
  const name = actionName(uses);
  if (name === "actions/cache" || name === "actions/cache/restore" || name === "actions/cache/save") {
    if (name !== "actions/cache") return blocked("cache-split", uses);
    const dropped: string[] = [];
    const mapped = withOf({ key: "key", "restore-keys": "restore_keys", path: "path" }, dropped);
    if ("unsupported" in mapped) return blocked("context-unsupported", String(mapped.unsupported));
    const paths = String(mapped.path ?? "")
      .split("\n")
      .map((p) => p.trim())
      .filter(Boolean);
    const outside = paths.filter(
      (p) => p.startsWith("~") || p.startsWith("/") || p.split("/").includes(".."),
    );
    if (outside.length > 0) return blocked("cache-path-outside", `${uses} path ${outside.join(", ")}`);
    const found: Array<[GithubFeature, string]> = [["cache", `${uses} key ${String(mapped.key)}`]];
    if (dropped.length > 0) found.push(["action-inputs-dropped", `${uses}: ${dropped.join(", ")}`]);
    return { step: { uses: "gantry/cache", with: mapped }, findings: found };
  }
  if (name === "actions/upload-artifact" || name === "actions/download-artifact") {
    const upload = name === "actions/upload-artifact";
    const dropped: string[] = [];
    const mapped = withOf(
      upload
        ? {
            name: "name",
            path: "path",
            "retention-days": "retention_days",
            "if-no-files-found": "if_no_files_found",
          }
        : { name: "name", path: "path", "run-id": "run_id" },
      dropped,
    );
    if ("unsupported" in mapped) return blocked("context-unsupported", String(mapped.unsupported));
    if (mapped.name === undefined) return blocked("artifacts-unnamed", `${uses} without a name`);
    const found: Array<[GithubFeature, string]> = [["artifacts", uses]];
    if (dropped.length > 0) found.push(["action-inputs-dropped", `${uses}: ${dropped.join(", ")}`]);
    return {
      step: { uses: upload ? "gantry/upload-artifact" : "gantry/download-artifact", with: mapped },
      findings: found,
    };
  }
  if (kind.kind === "blocked") return blocked(kind.feature, kind.detail);
  return blocked("third-party-action", uses);
}
