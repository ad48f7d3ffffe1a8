import type { StepSpec, WorkflowSpec } from "@gantry/core";
import { BUILTIN_USES, CHECKS_OUT } from "../git/builtin-actions.js";
import { isSecretRef } from "../secrets/index.js";
import type { SourceConfig } from "./config.js";

/**
 * Fills in what `uses: gantry/checkout` (and the built-in actions that check out first, under their
 * git_* input names) needs from the git source a workflow came from: the source's URL,
 * the commit (the event's `github.sha`, so a pull request checks out its head, else the source's commit
 * the workflow was loaded at, so a re-run checks out the same one) and the source's credentials. Values
 * the step sets itself win; credentials are added only when the step clones the source itself (never
 * sent to another repository), and only as secret references (the definition is stored).
 */
export function withCheckoutDefaults(
  workflow: WorkflowSpec,
  source: Pick<SourceConfig, "url" | "credentials">,
  commit: string,
): WorkflowSpec {
  let changed = false;
  const steps: Record<string, StepSpec> = {};
  for (const [id, step] of Object.entries(workflow.steps)) {
    if (step.steps) {
      // A job's steps get the same, each.
      const inner = step.steps.map((s) => {
        const filled = checkoutWith(s.uses, s.with, source, commit);
        return filled ? { ...s, with: filled } : s;
      });
      if (inner.some((s, i) => s !== step.steps?.[i])) {
        steps[id] = { ...step, steps: inner };
        changed = true;
      } else steps[id] = step;
      continue;
    }
    const filled = checkoutWith(step.uses, step.with, source, commit);
    if (!filled) {
      steps[id] = step;
      continue;
    }
    steps[id] = { ...step, with: filled };
    changed = true;
  }
  return changed ? { ...workflow, steps } : workflow;
}

/** The `with` of a step using a built-in action that checks out, with the source's defaults; else undefined. */
function checkoutWith(
  uses: string | undefined,
  given: Record<string, unknown> | undefined,
  source: Pick<SourceConfig, "url" | "credentials">,
  commit: string,
): Record<string, unknown> | undefined {
  const builtin = uses === undefined ? undefined : BUILTIN_USES.exec(uses)?.[1];
  if (builtin === undefined || !CHECKS_OUT.has(builtin)) return undefined;
  // gantry/checkout's own inputs are token, username and ssh_key; the others' say they are for git.
  const name = (input: string) => (builtin === "checkout" ? input : `git_${input}`);
  const values = given ?? {};
  const defaults: Record<string, unknown> = {};
  if (values.repository === undefined) {
    defaults.repository = withoutUserinfo(source.url);
    const credentials = source.credentials ?? {};
    if (credentials.token && isSecretRef(credentials.token)) {
      defaults[name("token")] = credentials.token;
      if (credentials.username) defaults[name("username")] = credentials.username;
    }
    if (credentials.ssh_key && isSecretRef(credentials.ssh_key))
      defaults[name("ssh_key")] = credentials.ssh_key;
    defaults.ref = `\${{ github.sha || '${commit}' }}`;
  }
  return { ...defaults, ...values };
}

/**
 * `https://user:pass@host/x` → `https://host/x`: a password (or an https token in the user's place) in the
 * URL must not be stored with the workflow. An ssh:// URL keeps its user (`git@`), which is no secret and
 * without which the server refuses the login; only a password after it goes.
 */
function withoutUserinfo(url: string): string {
  if (/^ssh:\/\//i.test(url)) return url.replace(/^(ssh:\/\/[^/@:]*):[^/@]*@/i, "$1@");
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, "$1");
}
