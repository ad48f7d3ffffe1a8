import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const SETUP = fileURLToPath(new URL("../../../../../scripts/podman-setup.sh", import.meta.url));

/**
 * For tests: makes sure the Podman Docker-API engine and the base images exist (scripts/podman-setup.sh,
 * idempotent, about 0.1 s when all is in place) and points DOCKER_HOST at it. Throws with the script's
 * output when it cannot: the docker runner's tests must fail, never skip, without an engine.
 */
export function ensurePodman(): string {
  let output: string;
  try {
    output = execFileSync("bash", [SETUP], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (error) {
    const e = error as { stderr?: string; stdout?: string; message: string };
    throw new Error(
      `no Docker-API engine: scripts/podman-setup.sh failed (${e.message}):\n${e.stdout ?? ""}${e.stderr ?? ""}`,
    );
  }
  const host = /DOCKER_HOST=(\S+)/.exec(output)?.[1];
  if (!host) throw new Error(`scripts/podman-setup.sh printed no DOCKER_HOST:\n${output}`);
  process.env.DOCKER_HOST ??= host;
  return process.env.DOCKER_HOST;
}

/** Images scripts/podman-setup.sh builds from local files (no registry is reachable here). */
export const BUSYBOX = "localhost/busybox:latest";
export const DOCKER_CLI_IMAGE = "localhost/gantry-docker:latest";
