import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";

export interface StepFile {
  /** Inside the pod, absolute. */
  path: string;
  content: Buffer | string;
  mode: number;
}

/**
 * A shell script for the pod's init container that writes the step's files (script, inputs, action
 * folder) into the shared emptyDir: a pod cannot bind-mount the worker's folders. Each file travels as
 * base64 in the script, so this suits scripts and small actions; the pod spec (and so the script) must
 * stay under the API server's request limit (about 1.5 MB with etcd's defaults).
 */
export function filesScript(dirs: string[], files: StepFile[]): string {
  const lines = ["set -e", ...dirs.map((d) => `mkdir -p ${quote(d)} && chmod 777 ${quote(d)}`)];
  for (const file of files) {
    const b64 = Buffer.from(file.content).toString("base64");
    lines.push(`mkdir -p ${quote(path.posix.dirname(file.path))}`);
    lines.push(`printf '%s' '${b64}' | base64 -d > ${quote(file.path)}`);
    lines.push(`chmod ${(file.mode & 0o777).toString(8)} ${quote(file.path)}`);
  }
  return lines.join("\n");
}

/** Every file of a folder, with its mode, as files under `target`. */
export async function folderFiles(dir: string, target: string): Promise<StepFile[]> {
  const files: StepFile[] = [];
  const walk = async (rel: string) => {
    for (const entry of await readdir(path.join(dir, rel), { withFileTypes: true })) {
      const relPath = path.posix.join(rel, entry.name);
      if (entry.isDirectory()) await walk(relPath);
      else if (entry.isFile()) {
        const full = path.join(dir, relPath);
        const [content, info] = await Promise.all([readFile(full), stat(full)]);
        files.push({ path: path.posix.join(target, relPath), content, mode: info.mode });
      }
    }
  };
  await walk("");
  return files;
}

function quote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
