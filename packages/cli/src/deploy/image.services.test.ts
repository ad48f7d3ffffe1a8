import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { type AddressInfo, createServer } from "node:net";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { admin, postgresUrlFor } from "../../../engine/src/testing/databases.js";
import { tempDir } from "../../../engine/src/testing/temp-dir.js";
import { waitFor } from "../../../engine/src/testing/wait-for.js";
import { repo } from "../testing/gantry-process.js";
import { chartDir, findObject, helmBinary, parseObjects, runHelm } from "../testing/helm.js";
import { podmanRunOptions } from "../testing/pod-podman.js";

// The container image, built from the Dockerfile with Podman (scripts/container-build.sh: a base image
// made from Debian's packages and this machine's Node.js, since no registry is reachable), then run as a
// user would: `gantry up` in a container, /healthz and the UI reached from outside through a published port.
// Needs root and Podman (scripts/podman-setup.sh); fails, never skips, without them.

const run = promisify(execFile);
const TAG = "localhost/gantry:test";
const name = `gantry-image-test-${process.pid}`;

async function podman(args: string[], timeout = 60_000): Promise<string> {
  return (await run("podman", args, { timeout, maxBuffer: 64 * 1024 * 1024 })).stdout.trim();
}

let built = false;
beforeAll(async () => {
  await run("bash", [path.join(repo, "scripts/podman-setup.sh")], { timeout: 300_000 });
  // A first build takes about 6 minutes on an idle machine (debootstrap, npm ci, compiling better-sqlite3,
  // the UI), and went past 20 with several test runs sharing its 2 cores: the limit is for a hung build.
  // Podman's layer cache makes a rebuild of unchanged sources take seconds.
  await run("bash", [path.join(repo, "scripts/container-build.sh"), TAG], {
    timeout: 2_400_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  built = true;
}, 2_500_000);

const chartRun = `gantry-image-chart-${process.pid}`;
const database = `gantry_test_image${process.pid}_${Date.now()}_0`;
const files = tempDir("gantry-image-");
let databaseMade = false;

afterAll(async () => {
  if (built) {
    for (const container of [name, chartRun])
      await podman(["rm", "--force", "--ignore", container]).catch(() => undefined);
  }
  if (databaseMade)
    await admin((client) => client.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`));
  files.cleanup();
});

describe("container image", () => {
  it("runs as a non-root user with gantry as its entrypoint and a healthcheck", async () => {
    const image = JSON.parse(await podman(["image", "inspect", TAG]))[0];
    expect(image.Config.User).toBe("10001:10001");
    expect(image.Config.Entrypoint).toEqual(["/usr/bin/tini", "--", "gantry"]);
    // Podman shows the Docker-format HEALTHCHECK at the top level of its inspect output.
    expect((image.Healthcheck ?? image.Config.Healthcheck).Test.join(" ")).toContain("/healthz");
    expect(await podman(["run", "--rm", "--entrypoint", "id", TAG, "-u"])).toBe("10001");
    const node = await podman(["run", "--rm", "--entrypoint", "node", TAG, "-p", "process.versions.node"]);
    // Node.js 24, the LTS line the Dockerfile's pinned base carries (the stand-in base copies this machine's).
    expect(Number(node.split(".")[0])).toBe(24);
    expect(await podman(["run", "--rm", TAG, "--version"])).toMatch(/^\d+\.\d+\.\d+/);
    // The Helm chart's server preStop hook runs `sleep` in this image.
    await podman(["run", "--rm", "--entrypoint", "sleep", TAG, "0"]);
  });

  it("runs as the Helm chart runs it: read-only root, data and /tmp on volumes of their own", async () => {
    // As the chart's pods: readOnlyRootFilesystem, an emptyDir on /var/lib/gantry and one on /tmp.
    const run = (args: string[], options: string[] = []) =>
      podman([
        "run",
        "--rm",
        "--read-only",
        // chown: owned by the image's user, as an emptyDir is under the chart's fsGroup.
        "--mount",
        "type=tmpfs,destination=/tmp,chown=true",
        "--mount",
        "type=tmpfs,destination=/var/lib/gantry,chown=true",
        ...options,
        TAG,
        ...args,
      ]);
    // Fails (throws, with the container's stderr) if anything writes outside the two volumes.
    await run(["migrate", "--database", "/var/lib/gantry/gantry.db"]);
    const key = randomBytes(32).toString("base64");
    const check = JSON.parse(
      await run(
        [
          "worker",
          "--database",
          "postgres://gantry@db.example.com/gantry",
          "--metrics-port",
          "9090",
          "--check-config",
        ],
        ["--env", `GANTRY_ENCRYPTION_KEY=${key}`],
      ),
    );
    expect(check).toMatchObject({ role: "worker", data: "/var/lib/gantry", metrics: { port: 9090 } });
  });

  it("runs the chart's migration Job and a worker as a kubelet would: rendered by Helm, PostgreSQL, probes", async () => {
    // A free port for the worker's metrics listener: the container shares the host's network.
    const port = await new Promise<number>((resolve) => {
      const probe = createServer();
      probe.listen(0, "127.0.0.1", () => {
        const { port } = probe.address() as AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const helm = await helmBinary();
    const rendered = await runHelm(helm, files.dir, [
      "template",
      "rel",
      chartDir,
      "-f",
      path.join(chartDir, "ci/minimal-values.yaml"),
      "--set",
      `logs.s3.enabled=false,logs.sharedVolume.existingClaim=gantry-logs,metrics.port=${port}`,
    ]);
    expect(rendered.stderr).toBe("");
    const objects = parseObjects(rendered.stdout);
    await admin((client) => client.query(`CREATE DATABASE "${database}"`));
    databaseMade = true;
    const url = postgresUrlFor(database);
    const key = randomBytes(32).toString("base64");
    const secrets = (secret: string) => (secret === "gantry-database" ? url : key);

    // The Job: read-only root, /tmp only, no token, the URL from its Secret; `gantry migrate` and exit.
    const job = findObject(objects, "Job", "rel-gantry-migrate").spec.template.spec;
    const migrated = await run(
      "podman",
      [
        "run",
        "--rm",
        ...podmanRunOptions(objects, job, "migrate", path.join(files.dir, "job"), secrets),
        TAG,
        ...job.containers[0].args,
      ],
      { timeout: 120_000 },
    );
    expect(migrated.stderr).toMatch(/applied 0001-initial[\s\S]*the database schema is up to date/);

    // The worker: its gantry.yaml from the ConfigMap, data, /tmp and logs on volumes of their own.
    const worker = findObject(objects, "Deployment", "rel-gantry-worker").spec.template.spec;
    const container = worker.containers[0];
    await podman([
      "run",
      "--detach",
      "--name",
      chartRun,
      ...podmanRunOptions(objects, worker, "worker", path.join(files.dir, "worker"), secrets),
      TAG,
      ...container.args,
    ]);
    const probe = (kind: "readinessProbe" | "livenessProbe") =>
      `http://127.0.0.1:${port}${container[kind].httpGet.path}`;
    expect(container.readinessProbe.httpGet.port).toBe("metrics");
    await waitFor(async () => (await fetch(probe("readinessProbe"))).status === 200 || undefined, {
      timeoutMs: 60_000,
      intervalMs: 250,
      what: "the worker's readiness probe",
    }).catch(async (error) => {
      throw new Error(`${(error as Error).message}\n${await podman(["logs", chartRun]).catch(() => "")}`);
    });
    expect((await fetch(probe("livenessProbe"))).status).toBe(200);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toMatch(/^gantry_worker_slots 4$/m);
    expect(metrics).toMatch(/^process_start_time_seconds /m);

    // Kubernetes stops it with SIGTERM, as podman stop does: unready, then a clean exit.
    await podman(["stop", "--time", String(worker.terminationGracePeriodSeconds), chartRun]);
    const state = JSON.parse(await podman(["inspect", chartRun]))[0].State;
    expect(state.ExitCode).toBe(0);
    const logs = await run("podman", ["logs", chartRun]);
    expect(logs.stderr + logs.stdout).toContain("SIGTERM: stopping");
    expect(logs.stderr + logs.stdout).not.toContain("migrated the database");
  });

  it("starts `gantry up` and answers /healthz, /readyz and the UI from outside", async () => {
    await podman([
      "run",
      "--detach",
      "--name",
      name,
      "--publish",
      "127.0.0.1::8080",
      TAG,
      "up",
      "--host",
      "0.0.0.0",
      "--insecure",
      "--dir",
      "/app/examples",
    ]);
    // `podman port` prints 127.0.0.1:<random host port>.
    const address = (await podman(["port", name, "8080/tcp"])).split("\n")[0];
    const base = `http://${address}`;
    const health = await waitFor(
      async () => {
        const response = await fetch(`${base}/healthz`);
        return response.ok ? response : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 250, what: `${base}/healthz from outside the container` },
    ).catch(async (error) => {
      throw new Error(`${(error as Error).message}\n${await podman(["logs", name]).catch(() => "")}`);
    });
    expect(health.status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    // The image's own HEALTHCHECK command, run inside the container, agrees.
    await podman(["healthcheck", "run", name]);
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("<div id=");
    const workflows = (await (await fetch(`${base}/api/v1/workflows`)).json()) as {
      workflows: Array<{ name: string }>;
    };
    expect(workflows.workflows.map((w) => w.name)).toContain("hello");

    // A run through the local runner inside the container: bash and the step's output work as non-root.
    const created = (await (
      await fetch(`${base}/api/v1/workflows/hello/runs`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ inputs: {} }),
      })
    ).json()) as { id: string };
    const finished = await waitFor(
      async () => {
        const state = (await (await fetch(`${base}/api/v1/runs/${created.id}`)).json()) as { status: string };
        return ["succeeded", "failed", "cancelled", "timed_out"].includes(state.status) ? state : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250, what: "the hello run to finish" },
    );
    expect(finished.status).toBe("succeeded");

    // docker stop sends SIGTERM to tini, which hands it to gantry: a clean stop, exit code 0.
    await podman(["stop", "--time", "20", name]);
    const state = JSON.parse(await podman(["inspect", name]))[0].State;
    expect(state.ExitCode).toBe(0);
  });
});
