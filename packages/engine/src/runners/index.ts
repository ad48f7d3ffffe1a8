import type { RunnerType } from "@gantry/core";
import type { DockerRunnerOptions } from "./docker/docker-runner.js";
import type { KubernetesRunnerOptions } from "./kubernetes/kubernetes-runner.js";
import { LocalRunner, type LocalRunnerOptions } from "./local/local-runner.js";
import { RunnerRouter } from "./router.js";

export interface RunnersOptions {
  local?: LocalRunnerOptions;
  docker?: DockerRunnerOptions;
  kubernetes?: KubernetesRunnerOptions;
}

/**
 * The runners of the given types behind one RunnerRouter. Docker and Kubernetes are imported on first
 * use, so `gantry run` and `gantry up` do not load dockerode or the Kubernetes client to start.
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
  });
}
