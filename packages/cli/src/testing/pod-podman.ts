import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { K8sObject } from "./helm.js";

// biome-ignore lint/suspicious/noExplicitAny: rendered pod specs, read field by field.
type K8s = any;

/**
 * `podman run` options that give one container of a rendered pod what a kubelet would: its user and
 * group, a read-only root, no capabilities, no privilege escalation, its emptyDirs and volume claims as
 * tmpfs mounts, its ConfigMap files (from the render) bind-mounted read-only, and its environment with
 * each secretKeyRef filled by `secretValue`. The container shares the host's network, so it reaches the
 * test's PostgreSQL at 127.0.0.1 and its ports are the host's. What it cannot give is refused, so a new
 * kind of volume or variable fails the test instead of being left out.
 */
export function podmanRunOptions(
  objects: K8sObject[],
  podSpec: K8s,
  containerName: string,
  hostDir: string,
  secretValue: (secret: string, key: string) => string,
): string[] {
  const container = podSpec.containers.find((c: K8s) => c.name === containerName);
  if (!container) throw new Error(`no container ${containerName}`);
  if (container.command) throw new Error(`${containerName} overrides the image's entrypoint`);
  const pod = podSpec.securityContext ?? {};
  const own = container.securityContext ?? {};
  const options = ["--network", "host", "--no-healthcheck"];
  const user = own.runAsUser ?? pod.runAsUser;
  if (user !== undefined) options.push("--user", `${user}:${own.runAsGroup ?? pod.runAsGroup ?? user}`);
  if (own.readOnlyRootFilesystem) options.push("--read-only");
  if ((own.capabilities?.drop ?? []).includes("ALL")) options.push("--cap-drop", "all");
  if (own.allowPrivilegeEscalation === false) options.push("--security-opt", "no-new-privileges");
  for (const mount of container.volumeMounts ?? []) {
    const volume = (podSpec.volumes ?? []).find((v: K8s) => v.name === mount.name);
    if (!volume) throw new Error(`${containerName} mounts ${mount.name}, which the pod does not declare`);
    if (volume.emptyDir || volume.persistentVolumeClaim) {
      // Owned by the container's user, as the pod's fsGroup makes an emptyDir.
      options.push("--mount", `type=tmpfs,destination=${mount.mountPath},chown=true`);
    } else if (volume.configMap) {
      const map = objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === volume.configMap.name);
      if (!map) throw new Error(`ConfigMap ${volume.configMap.name} is not in the render`);
      const dir = path.join(hostDir, mount.name);
      mkdirSync(dir, { recursive: true });
      for (const [key, text] of Object.entries(map.data as Record<string, string>))
        writeFileSync(path.join(dir, key), text, { mode: 0o644 });
      const source = mount.subPath ? path.join(dir, mount.subPath) : dir;
      options.push("--mount", `type=bind,source=${source},destination=${mount.mountPath},ro=true`);
    } else {
      throw new Error(
        `volume ${mount.name}: a kind this harness does not give (${Object.keys(volume).join(", ")})`,
      );
    }
  }
  for (const e of container.env ?? []) {
    const ref = e.valueFrom?.secretKeyRef;
    if (e.valueFrom && !ref)
      throw new Error(`env ${e.name}: ${JSON.stringify(e.valueFrom)} is not given here`);
    options.push("--env", `${e.name}=${ref ? secretValue(ref.name, ref.key) : String(e.value ?? "")}`);
  }
  return options;
}
