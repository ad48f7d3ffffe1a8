/**
 * A scope limits a role to some workflows: `source:<name>` (the workflow's source, as the store
 * records it: a git source's name, or `dir:<absolute folder>`) or `folder:<path>` (the workflow file's
 * path inside its source, this folder or below).
 */
export function checkScope(scope: string, where: string): string {
  if (/^(source|folder):.+/.test(scope)) return scope;
  throw new Error(`${where}: scope '${scope}' must be source:<name> or folder:<path>`);
}

export function inScope(scope: string | null, workflow: { source: string; file: string }): boolean {
  if (scope === null) return true;
  const [kind, ...rest] = scope.split(":");
  const value = rest.join(":");
  if (kind === "source") return workflow.source === value;
  if (kind === "folder") {
    const folder = value.replace(/^\.?\/+/, "").replace(/\/+$/, "");
    const file = workflow.file.replace(/^\.?\/+/, "");
    return folder === "" || file === folder || file.startsWith(`${folder}/`);
  }
  return false;
}
