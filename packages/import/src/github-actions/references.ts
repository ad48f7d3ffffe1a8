import type { OutputDocument } from "../output/document.js";
import type { ReferenceRewriter, Rewrite } from "./expressions.js";

/** What the workflow being converted knows, for rewriting GitHub's references to Gantry's. */
export interface WorkflowScope {
  /** GitHub input name -> Gantry input id. */
  inputs: Map<string, string>;
  /** Job id -> node id. */
  jobs: Map<string, string>;
  /** Job id -> (job output name -> the name its step writes to $GITHUB_OUTPUT), for outputs that map 1:1. */
  outputs: Map<string, Map<string, string>>;
  /** Secrets referenced so far: name -> the note written next to its reference. */
  secrets: Map<string, string>;
  /** Variables of the workflow's env. */
  env: Set<string>;
}

const GITHUB_SAME = new Set([
  "event_name",
  "event",
  "ref",
  "ref_name",
  "sha",
  "repository",
  "repository_owner",
  "actor",
  "head_ref",
  "base_ref",
]);

/**
 * Rewrites references for a place evaluated when a node starts (its if, env, name) or for the workflow
 * (`needs` is empty there). `env` lists the variables known before the node runs.
 */
export function nodeRewriter(
  scope: WorkflowScope,
  place: { job?: string; needs?: ReadonlySet<string>; env?: ReadonlySet<string>; matrix?: boolean },
): ReferenceRewriter {
  return (path): Rewrite => {
    const [context, first, second, third] = path;
    switch (context) {
      case "needs": {
        if (!first || !place.needs?.has(first))
          return { unsupported: `needs.${first ?? ""} is not among this job's needs` };
        const node = scope.jobs.get(first) ?? first;
        if (second === "result") return { path: ["steps", node, "result"] };
        if (second === "outputs" && third !== undefined) {
          const mapped = scope.outputs.get(first)?.get(third);
          if (mapped === undefined) {
            return {
              unsupported: `needs.${first}.outputs.${third} (that job's output is computed by an expression)`,
              feature: "job-outputs-expression",
            };
          }
          return { path: ["steps", node, "outputs", mapped, ...path.slice(4)] };
        }
        return { unsupported: `needs.${path.slice(1).join(".")}` };
      }
      case "inputs": {
        const id = first !== undefined ? scope.inputs.get(first) : undefined;
        return id
          ? { path: ["inputs", id, ...path.slice(2)] }
          : { unsupported: `inputs.${first ?? ""} is not a declared input` };
      }
      case "github":
        return githubReference(scope, path, place.job);
      case "env":
        if (first !== undefined && (scope.env.has(first) || place.env?.has(first))) return { path };
        return {
          unsupported: `env.${first ?? ""} (set while the job runs, not known when it starts)`,
          feature: "step-steps-context",
        };
      case "secrets":
        if (first === undefined) return { unsupported: "secrets (the whole context)" };
        secret(scope, first);
        return { path: ["secrets", first] };
      case "vars":
        return { path };
      case "matrix":
        // Gantry's matrix context holds the leg's values, as GitHub's does.
        if (place.matrix) return { path };
        return { unsupported: `${path.join(".")} (a matrix)`, feature: "matrix" };
      case "strategy":
        return { unsupported: `${path.join(".")} (a matrix's own details)`, feature: "matrix" };
      case "steps":
        return { unsupported: `${path.join(".")} (a step of the same job)`, feature: "step-steps-context" };
      case "runner":
        if (first === "os") return { text: "'Linux'" };
        return { unsupported: `${path.join(".")} (the runner's details)` };
      default:
        return { unsupported: `${path.join(".")} (${context} context)` };
    }
  };
}

function githubReference(scope: WorkflowScope, path: string[], job: string | undefined): Rewrite {
  const [, name, third, fourth] = path;
  if (name === "event" && third === "inputs" && fourth !== undefined) {
    const id = scope.inputs.get(fourth);
    return id
      ? { path: ["inputs", id] }
      : { unsupported: `github.event.inputs.${fourth} is not a declared input` };
  }
  // A run started by another workflow's end: Gantry's trigger says how that run ended.
  if (name === "event" && third === "workflow_run" && fourth === "conclusion")
    return { path: ["trigger", "result"] };
  if (name === "event" && third === "workflow_run" && fourth === "id") return { path: ["trigger", "run_id"] };
  if (name !== undefined && GITHUB_SAME.has(name)) return { path };
  switch (name) {
    case "workflow":
      return { path: ["run", "workflow"] };
    case "run_id":
      return { path: ["run", "id"] };
    case "run_attempt":
      return { path: ["run", "attempt"] };
    case "token":
      secret(scope, "GITHUB_TOKEN");
      return { path: ["secrets", "GITHUB_TOKEN"] };
    case "server_url":
      return { text: "'https://github.com'" };
    case "api_url":
      return { text: "'https://api.github.com'" };
    case "job":
      return job ? { text: `'${job}'` } : { unsupported: "github.job outside a job" };
    case "ref_type":
      return { text: "(startsWith(github.ref, 'refs/tags/') && 'tag' || 'branch')" };
    default:
      return { unsupported: `github.${path.slice(1).join(".")}` };
  }
}

/** Records a secret the workflow reads; `secrets:` gets a reference to fill in. */
export function secret(scope: WorkflowScope, name: string): void {
  if (scope.secrets.has(name)) return;
  scope.secrets.set(
    name,
    name === "GITHUB_TOKEN"
      ? "Fill in: a GitHub token (a GitHub App's installation token or a fine-grained token) with the permissions the job had; Gantry hands out none by itself."
      : `Fill in: GitHub secret ${name}. ref+env:// reads the worker's environment; point it at your secret store instead (ref+vault://…, ref+sops://…).`,
  );
}

/** `secrets:` of the workflow, with a note on each. */
export function writeSecrets(scope: WorkflowScope, out: Record<string, unknown>, doc: OutputDocument): void {
  if (scope.secrets.size === 0) return;
  const secrets: Record<string, string> = {};
  for (const [name, note] of scope.secrets) {
    secrets[name] = `ref+env://${name}`;
    doc.note(["secrets", name], note);
  }
  out.secrets = secrets;
}
