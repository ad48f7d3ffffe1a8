import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { bin, type GantryResult, repo } from "./gantry-process.js";

// biome-ignore lint/suspicious/noExplicitAny: rendered manifests, read field by field.
type K8s = any;

/** The working directory of Gantry's image (its Dockerfile's WORKDIR). */
const IMAGE_WORKDIR = "/var/lib/gantry";

/**
 * What the kubelet would give one container of a rendered pod, rebuilt under `root` on this machine: its
 * volumes as files (ConfigMaps from the render, Secrets with the values `secretValue` makes up, empty
 * folders), its environment (secretKeyRef and fieldRef filled the same way, `$(VAR)` expanded as the
 * kubelet does) and its arguments. Paths under a mount are moved under `root`, in the arguments, the
 * environment and the mounted files alike, since nothing may be written to /etc here.
 */
export function containerLaunch(
  objects: K8s[],
  podSpec: K8s,
  containerName: string,
  root: string,
  secretValue: (secret: string, key: string) => string,
): { args: string[]; env: Record<string, string>; cwd: string; envFrom: unknown[] } {
  const container = [...(podSpec.initContainers ?? []), ...podSpec.containers].find(
    (c: K8s) => c.name === containerName,
  );
  if (!container) throw new Error(`no container ${containerName}`);
  if (container.command)
    throw new Error(`${containerName} overrides the image's entrypoint: ${container.command}`);
  const mounts = [...(container.volumeMounts ?? [])].sort(
    (a: K8s, b: K8s) => b.mountPath.length - a.mountPath.length,
  );
  // One pass over the text, longest paths first, each where a path starts (after `file://` too): `root`
  // itself must not be moved again.
  const prefixes = [...new Set([...mounts.map((m: K8s) => m.mountPath as string), IMAGE_WORKDIR])].sort(
    (a, b) => b.length - a.length,
  );
  const pattern = new RegExp(
    `(?<![\\w.-])(${prefixes.map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|")})(?=/|$|[^\\w.-])`,
    "g",
  );
  const relocate = (text: string) => text.replace(pattern, (p) => path.join(root, p));
  for (const mount of mounts) {
    const volume = (podSpec.volumes ?? []).find((v: K8s) => v.name === mount.name);
    if (!volume) throw new Error(`${containerName} mounts ${mount.name}, which the pod does not declare`);
    const target = path.join(root, mount.mountPath);
    const files = volumeFiles(objects, volume, secretValue);
    if (mount.subPath) {
      const text = files[mount.subPath];
      if (text === undefined) throw new Error(`volume ${mount.name} has no ${mount.subPath}`);
      mkdirSync(path.dirname(target), { recursive: true });
      writeFileSync(target, relocate(text));
      continue;
    }
    mkdirSync(target, { recursive: true });
    for (const [file, text] of Object.entries(files)) writeFileSync(path.join(target, file), relocate(text));
  }
  mkdirSync(path.join(root, IMAGE_WORKDIR), { recursive: true });
  // The image's own ENV first; the pod's variables override it, as in a container.
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(imageEnvironment())) env[name] = relocate(value);
  for (const e of container.env ?? []) {
    let value: string;
    if (e.valueFrom?.secretKeyRef)
      value = secretValue(e.valueFrom.secretKeyRef.name, e.valueFrom.secretKeyRef.key);
    else if (e.valueFrom?.configMapKeyRef) value = `configmap-${e.valueFrom.configMapKeyRef.key}`;
    else if (e.valueFrom?.fieldRef) value = `field-${e.valueFrom.fieldRef.fieldPath}`;
    else if (e.valueFrom) throw new Error(`env ${e.name}: unknown valueFrom ${JSON.stringify(e.valueFrom)}`);
    else value = expand(String(e.value ?? ""), env);
    env[e.name] = relocate(value);
  }
  const args = (container.args ?? []).map((a: string) => relocate(expand(a, env)));
  return { args, env, cwd: path.join(root, IMAGE_WORKDIR), envFrom: container.envFrom ?? [] };
}

/** The ENV of the Dockerfile's last stage (the image the chart runs), `NAME=value` pairs after each ENV. */
export function imageEnvironment(): Record<string, string> {
  const text = readFileSync(path.join(repo, "Dockerfile"), "utf8").replace(/\\\n/g, " ");
  const stages = text.split(/^FROM /m);
  const env: Record<string, string> = {};
  for (const [, pairs] of (stages.at(-1) ?? "").matchAll(/^ENV (.+)$/gm)) {
    for (const [, name, value] of (pairs as string).matchAll(/([A-Za-z_][A-Za-z0-9_]*)=(\S*)/g))
      env[name as string] = value as string;
  }
  if (Object.keys(env).length === 0)
    throw new Error("the Dockerfile's last stage sets no ENV: is it still there?");
  return env;
}

/** The files a volume holds: keys of a ConfigMap (from the render when it is there) or a Secret. */
function volumeFiles(
  objects: K8s[],
  volume: K8s,
  secretValue: (secret: string, key: string) => string,
): Record<string, string> {
  const pick = (all: Record<string, string>, items: K8s[] | undefined) =>
    items ? Object.fromEntries(items.map((i: K8s) => [i.path, all[i.key] ?? ""])) : all;
  if (volume.configMap) {
    const map = objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === volume.configMap.name);
    const data: Record<string, string> =
      map?.data ??
      Object.fromEntries((volume.configMap.items ?? []).map((i: K8s) => [i.key, `configmap ${i.key}`]));
    return pick(data, volume.configMap.items);
  }
  if (volume.secret) {
    const keys: string[] = (volume.secret.items ?? []).map((i: K8s) => i.key);
    const data = Object.fromEntries(keys.map((k) => [k, secretValue(volume.secret.secretName, k)]));
    return pick(data, volume.secret.items);
  }
  if (volume.emptyDir || volume.persistentVolumeClaim) return {};
  throw new Error(
    `volume ${volume.name}: a kind this harness does not make (${Object.keys(volume).join(", ")})`,
  );
}

/** The kubelet's `$(VAR)` expansion: defined variables are replaced, `$$` escapes, the rest stays as it is. */
function expand(text: string, env: Record<string, string>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (match, name: string | undefined) =>
    match === "$$" ? "$" : name !== undefined && name in env ? (env[name] as string) : match,
  );
}

/** Runs the real CLI with exactly this environment (and PATH), as the container would. */
export function runLaunch(
  launch: { args: string[]; env: Record<string, string>; cwd: string },
  extra: string[],
): Promise<GantryResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...launch.args, ...extra], {
      cwd: launch.cwd,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: launch.cwd, NO_COLOR: "1", ...launch.env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d;
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d;
    });
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}
