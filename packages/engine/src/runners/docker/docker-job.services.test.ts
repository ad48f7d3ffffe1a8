// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the tests are full of workflow expressions
import { randomUUID } from "node:crypto";
import type { RunInfo } from "@gantry/core";
import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadWorkflow } from "../../loader/load-workflow.js";
import type { RunEvent } from "../../run/events.js";
import { runWorkflow } from "../../run/run-workflow.js";
import { tempDir } from "../../testing/temp-dir.js";
import { LocalRunner } from "../local/local-runner.js";
import { RunnerRouter } from "../router.js";
import { DockerRunner } from "./docker-runner.js";

import { BUSYBOX, ensurePodman } from "./podman.js";

describe("docker jobs against Podman: one container per job, service containers", () => {
  let docker: Docker;
  let tmp: ReturnType<typeof tempDir>;
  let router: RunnerRouter;

  beforeAll(() => {
    ensurePodman();
    docker = new Docker();
    tmp = tempDir("gantry-dockerjob-");
    router = new RunnerRouter({
      local: new LocalRunner({ tmpRoot: tmp.dir }),
      docker: new DockerRunner({ docker, tmpRoot: tmp.dir, killGraceSeconds: 1, workerId: "test-worker" }),
    });
  });
  afterAll(() => tmp.cleanup());

  async function run(yaml: string, signal?: AbortSignal, onEvent?: (e: RunEvent) => void) {
    const file = tmp.write(`${randomUUID()}.yaml`, yaml);
    const { loaded, problems } = await loadWorkflow(file);
    expect(problems).toEqual([]);
    if (!loaded) throw new Error("not loaded");
    const id = randomUUID();
    const info: RunInfo = { id, workflow: "wf", attempt: 1, trigger: { type: "manual" }, inputs: {} };
    const events: RunEvent[] = [];
    const result = await runWorkflow(loaded, {
      runner: router,
      info,
      parallel: 2,
      ...(signal ? { signal } : {}),
      onEvent: (e) => {
        events.push(e);
        onEvent?.(e);
      },
    });
    const lines = (step: string) =>
      events.flatMap((e) => (e.type === "line" && e.step === step ? [e.line] : []));
    const left = await docker.listContainers({ all: true, filters: { label: [`gantry.run=${id}`] } });
    const networks = await docker.listNetworks({ filters: { label: [`gantry.run=${id}`] } });
    return { ...result, lines, left: left.length + networks.length };
  }

  it("keeps one container for the job: a process and files of one step are seen by the next", async () => {
    const { report, lines, left } = await run(`
steps:
  job:
    runner: {type: docker, image: ${BUSYBOX}}
    steps:
      - run: |
          echo pid1 is $(cat /proc/1/cmdline | tr '\\0' ' ' | cut -c1-8)
          echo kept > kept.txt
          hostname > host.txt
      - id: check
        run: |
          [ "$(hostname)" = "$(cat host.txt)" ] && echo same container
          cat kept.txt
          echo "v=$(cat kept.txt)" >> $GANTRY_OUTPUT
      - run: sleep 30
        timeout: 500ms
        continue_on_error: true
      - run: echo still alive
    outputs:
      v: \${{ steps.check.outputs.v }}
`);
    expect(report.steps.job?.status).toBe("succeeded");
    expect(report.steps.job?.outputs).toEqual({ v: "kept" });
    expect(report.steps.job?.steps?.map((s) => s.status)).toEqual([
      "succeeded",
      "succeeded",
      "timed_out",
      "succeeded",
    ]);
    expect(lines("job")).toContain("same container");
    expect(lines("job")).toContain("still alive");
    expect(left).toBe(0);
  });

  it("starts services on a shared network, waits for their health check, removes them after", async () => {
    // The service answers on port 8080 only after a while: the job's first step must still reach it.
    // Its env's secret reference resolves for the service, and its value is masked in the job's log.
    process.env.GANTRY_TEST_SERVICE_GREETING = "hello from web";
    const { report, lines, left } = await run(`
steps:
  job:
    runner: {type: docker, image: ${BUSYBOX}}
    services:
      web:
        image: ${BUSYBOX}
        env: {GREETING: "ref+env://GANTRY_TEST_SERVICE_GREETING"}
        command: [sh, -c, "sleep 1; mkdir -p /www; echo \\"$GREETING\\" > /www/index.html; exec httpd -f -p 8080 -h /www"]
        options: --health-cmd "wget -q -O /dev/null http://127.0.0.1:8080/" --health-interval 200ms --health-retries 50
    steps:
      - run: wget -q -O - http://web:8080/
`);
    expect(report.steps.job?.status).toBe("succeeded");
    expect(lines("job")).toContain("***");
    expect(lines("job").join("\n")).not.toContain("hello from web");
    expect(lines("job")).toContain("gantry: service web is healthy");
    expect(left).toBe(0);
  });

  it("fails the job, saying why, when a service never gets healthy, and leaves nothing", async () => {
    const { report, left } = await run(`
steps:
  job:
    runner: {type: docker, image: ${BUSYBOX}}
    services:
      db:
        image: ${BUSYBOX}
        command: [sleep, "60"]
        options: --health-cmd "exit 1" --health-interval 100ms --health-retries 3
    steps:
      - run: echo never
`);
    expect(report.steps.job?.status).toBe("failed");
    expect(report.steps.job?.error).toBe("steps.job: service db is not healthy after 3 tries of 'exit 1'");
    expect(left).toBe(0);
  });
});
