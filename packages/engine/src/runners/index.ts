import type { RunnerType } from "@gantry/core";
import type { DockerRunnerOptions } from "./docker/docker-runner.js";
import type { KubernetesRunnerOptions } from "./kubernetes/kubernetes-runner.js";
import { LocalRunner, type LocalRunnerOptions } from "./local/local-runner.js";
import { RunnerRouter } from "./router.js";
import type { SshRunnerOptions } from "./ssh/ssh-runner.js";

export type { SshClientSettings } from "./ssh/connect.js";
export type { SshRunnerOptions } from "./ssh/ssh-runner.js";

export interface RunnersOptions {
  local?: LocalRunnerOptions;
  docker?: DockerRunnerOptions;
  kubernetes?: KubernetesRunnerOptions;
  ssh?: SshRunnerOptions;
}

/**
 * The runners of the given types behind one RunnerRouter. Docker, Kubernetes and SSH are imported on
 * first use, so `gantry run` and `gantry up` do not load dockerode, the Kubernetes client or ssh2 to start.
 */
export function createRunners(types: readonly RunnerType[], options: RunnersOptions = {}): RunnerRouter {
  const offered = new Set(types);
  return new RunnerRouter({
    ...(offered.has("local") ? { local: new LocalRunner(options.local) } : {}),
    ...(offered.has("docker")
      ? {
          docker: async () => {
            const { DockerRunner } = await import("./docker/docker-runner.js");
            return new DockerRunner(options.docker);
          },
        }
      : {}),
    ...(offered.has("kubernetes")
      ? {
          kubernetes: async () => {
            const { KubernetesRunner } = await import("./kubernetes/kubernetes-runner.js");
            return KubernetesRunner.create(options.kubernetes);
          },
        }
      : {}),
    ...(offered.has("ssh")
      ? {
          ssh: async () => {
            const { SshRunner } = await import("./ssh/ssh-runner.js");
            return new SshRunner(options.ssh);
          },
        }
      : {}),
  });
}
