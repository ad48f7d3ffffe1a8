import type { RunInfo } from "@gantry/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadWorkflow } from "../../loader/load-workflow.js";
import type { RunEvent } from "../../run/events.js";
import { runWorkflow } from "../../run/run-workflow.js";
import { tempDir } from "../../testing/temp-dir.js";
import { createRunners } from "../index.js";
import { BUSYBOX, ensurePodman } from "./podman.js";

// A whole workflow through the engine, with the docker runner on Podman: runner choice in defaults, on
// a step and by a container action; outputs flowing between containers and the local machine.
describe("a workflow with docker steps (Podman)", () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeAll(() => {
    ensurePodman();
    tmp = tempDir("gantry-docker-wf-");
  });
  afterAll(() => tmp.cleanup());

  it("runs steps in containers and locally, as each step's runner says", async () => {
    tmp.write(
      "repo/actions/stamp/action.yaml",
      `
name: stamp
inputs: { word: { type: string, required: true } }
runs:
  using: container
  image: ${BUSYBOX}
  command: [sh, -c, 'echo "stamped=[$INPUT_WORD]" >> "$GANTRY_OUTPUT"; echo "in $(pwd)"']
`,
    );
    const file = tmp.write(
      "repo/wf.yaml",
      `
name: mixed
env: { REGISTRY_USER: ci }
defaults:
  runner: { type: docker, image: ${BUSYBOX}, env: { IN_CONTAINER: "yes" } }
steps:
  boxed:
    run: |
      echo "where=$IN_CONTAINER" >> "$GANTRY_OUTPUT"
      test ! -e /work/main
  stamp:
    needs: boxed
    uses: ./actions/stamp
    with: { word: "\${{ steps.boxed.outputs.where }}" }
  here:
    needs: stamp
    runner: { type: local }
    run: echo "final=\${{ steps.stamp.outputs.stamped }} $IN_CONTAINER" >> "$GANTRY_OUTPUT"
outputs:
  final: \${{ steps.here.outputs.final }}
`,
    );
    const { loaded, problems } = await loadWorkflow(file);
    expect(problems).toEqual([]);
    if (!loaded) throw new Error("not loaded");
    const info: RunInfo = {
      id: "run-docker-wf",
      workflow: "mixed",
      attempt: 1,
      trigger: { type: "manual" },
      inputs: {},
    };
    const events: RunEvent[] = [];
    const { report } = await runWorkflow(loaded, {
      runner: createRunners(["local", "docker"], {
        local: { tmpRoot: tmp.dir },
        docker: { tmpRoot: tmp.dir, killGraceSeconds: 1 },
      }),
      info,
      parallel: 2,
      onEvent: (e) => events.push(e),
    });
    expect(
      report.steps.boxed?.error ?? report.steps.stamp?.error ?? report.steps.here?.error,
    ).toBeUndefined();
    expect(report.status).toBe("succeeded");
    expect(report.outputs).toEqual({ final: "[yes] " });
    const stampLines = events.flatMap((e) => (e.type === "line" && e.step === "stamp" ? [e.line] : []));
    expect(stampLines).toEqual(["in /gantry/work"]);
  });

  it("fails a docker step clearly where no docker runner is offered", async () => {
    const file = tmp.write(
      "repo2/wf.yaml",
      `
steps:
  boxed: { run: "true", runner: { type: docker, image: ${BUSYBOX} } }
`,
    );
    const { loaded } = await loadWorkflow(file);
    if (!loaded) throw new Error("not loaded");
    const info: RunInfo = { id: "r2", workflow: "wf", attempt: 1, trigger: { type: "manual" }, inputs: {} };
    const { report } = await runWorkflow(loaded, { runner: createRunners(["local"]), info, parallel: 1 });
    expect(report.status).toBe("failed");
    expect(report.steps.boxed?.error).toBe("runner type 'docker' is not offered here (offered: local)");
  });
});
