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
    const builtin = step.uses === undefined ? undefined : BUILTIN_USES.exec(step.uses)?.[1];
    if (builtin === undefined || !CHECKS_OUT.has(builtin)) {
      steps[id] = step;
      continue;
    }
    // gantry/checkout's own inputs are token, username and ssh_key; the others' say they are for git.
    const name = (input: string) => (builtin === "checkout" ? input : `git_${input}`);
    const given = (step.with ?? {}) as Record<string, unknown>;
    const defaults: Record<string, unknown> = {};
    if (given.repository === undefined) {
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
    steps[id] = { ...step, with: { ...defaults, ...given } };
    changed = true;
  }
  return changed ? { ...workflow, steps } : workflow;
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
