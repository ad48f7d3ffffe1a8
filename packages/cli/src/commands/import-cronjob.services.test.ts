import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUSYBOX, ensurePodman } from "../../../engine/src/runners/docker/podman.js";
import { tempDir } from "../../../engine/src/testing/temp-dir.js";
import { gantry } from "../testing/gantry-process.js";

// The real fixtures' images cannot be pulled here (no registry is reachable), so this CronJob uses the
// busybox image scripts/podman-setup.sh builds from local files; what it checks is the conversion's path:
// the container action (command as entrypoint, args as command), env, a secretKeyRef as a secret reference.
const CRONJOB = `apiVersion: batch/v1
kind: CronJob
metadata:
  name: tidy
spec:
  schedule: "0 4 * * *"
  concurrencyPolicy: Forbid
  jobTemplate:
    spec:
      backoffLimit: 0
      activeDeadlineSeconds: 120
      template:
        spec:
          restartPolicy: Never
          containers:
            - name: tidy
              image: ${BUSYBOX}
              command: ["sh", "-c"]
              args: ['echo "mode=$MODE in $(cat /etc/hostname | wc -c) chars"; echo "password=$DB_PASSWORD"']
              env:
                - name: MODE
                  value: fast
                - name: DB_PASSWORD
                  valueFrom:
                    secretKeyRef: {name: db, key: password}
`;

describe("a converted CronJob on the docker runner (Podman)", () => {
  let dockerHost: string;
  const temp = tempDir("gantry-import-cronjob-");
  beforeAll(() => {
    dockerHost = ensurePodman();
  });
  afterAll(() => temp.cleanup());

  it("runs the pod's container as a container action, with its env and its secret masked", async () => {
    const source = temp.write("tidy.yaml", CRONJOB);
    const out = path.join(temp.dir, "out");
    const imported = await gantry(["import", "cronjob", source, "--out", out, "--runner", "docker"]);
    expect(imported.code).toBe(0);
    const run = await gantry(["run", path.join(out, "tidy.yaml"), "--json"], {
      cwd: out,
      env: { DOCKER_HOST: dockerHost, DB_PASSWORD: "hunter2-from-the-store" },
    });
    const report = JSON.parse(run.stdout) as { status: string; steps: Record<string, { status: string }> };
    expect(run.stderr).toContain("mode=fast in");
    expect(run.stderr).toContain("password=***");
    expect(run.stderr).not.toContain("hunter2-from-the-store");
    expect(report.steps.tidy?.status).toBe("succeeded");
    expect(report.status).toBe("succeeded");
  });
});
