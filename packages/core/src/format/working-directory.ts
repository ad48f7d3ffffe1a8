/**
 * Why a `working_directory` would leave the step's workspace, or undefined when it stays inside:
 * it must be relative, and its `..` segments may not climb above the workspace.
 */
export function workingDirectoryProblem(dir: string): string | undefined {
  if (dir.startsWith("/") || dir.startsWith("\\") || /^[A-Za-z]:/.test(dir))
    return `'${dir}' is absolute; a working directory is relative to the step's workspace`;
  let depth = 0;
  for (const segment of dir.split(/[/\\]+/)) {
    if (segment === "..") depth--;
    else if (segment !== "" && segment !== ".") depth++;
    if (depth < 0) return `'${dir}' climbs out of the step's workspace with '..'`;
  }
  return undefined;
}
