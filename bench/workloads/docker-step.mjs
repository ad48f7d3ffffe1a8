// Per-step overhead of the docker runner: N steps of `sh -c 'echo hi'` in the busybox image through
// DockerRunner (create, start, follow logs, wait, read outputs, remove), against `docker run --rm` of
// the same image and command through the same engine (Podman's Docker API, set up by
// scripts/podman-setup.sh). Both sides talk to the engine over its socket; the floor also starts the
// docker CLI once per step.
import { execFileSync, spawn } from "node:child_process";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { BenchError } from "../lib/errors.mjs";

const STEPS = 5;
const IMAGE = "localhost/busybox:latest";

function dockerRun() {
  return new Promise((resolve, reject) => {
    const child = spawn("docker", ["run", "--rm", IMAGE, "sh", "-c", "echo hi"], { stdio: "ignore" });
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new BenchError(`docker run: exit ${code}`))));
  });
}

let runner;

export default {
  id: "docker-step",
  name: `docker runner, ${STEPS} steps`,
  tasks: STEPS,
  async prepare(ctx) {
    const out = execFileSync("bash", [path.join(ctx.root, "scripts/podman-setup.sh")], { encoding: "utf8" });
    process.env.DOCKER_HOST ??= /DOCKER_HOST=(\S+)/.exec(out)?.[1];
    const engine = pathToFileURL(path.join(ctx.root, "packages/engine/dist/runners/docker/docker-runner.js"));
    const { DockerRunner } = await import(engine.href);
    runner = new DockerRunner({ tmpRoot: ctx.workDir });
  },
  async run(ctx) {
    const task = (i) => ({
      step: "s",
      index: i,
      attempt: 1,
      delayMs: 0,
      name: "s",
      program: { kind: "container", command: ["sh", "-c", "echo hi"] },
      inputs: {},
      env: {},
      secrets: [],
      runner: { type: "docker", image: IMAGE, pull: "never" },
    });
    const gantry = async () => {
      const t0 = performance.now();
      for (let i = 0; i < STEPS; i++) {
        const result = await runner.run({
          task: task(i),
          runId: `bench-${ctx.sample}`,
          onLine: () => {},
          signal: new AbortController().signal,
        });
        if (result.status !== "succeeded")
          throw new BenchError(`docker step: ${result.status} ${result.error}`);
      }
      return (performance.now() - t0) / 1000;
    };
    const floor = async () => {
      const t0 = performance.now();
      for (let i = 0; i < STEPS; i++) await dockerRun();
      return (performance.now() - t0) / 1000;
    };
    // Alternate which side goes first, so a warming engine favours neither.
    if (ctx.sample % 2 === 0) {
      const gantrySeconds = await gantry();
      return { gantrySeconds, floorSeconds: await floor() };
    }
    const floorSeconds = await floor();
    return { gantrySeconds: await gantry(), floorSeconds };
  },
};
