import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../../../engine/src/testing/wait-for.js";
import { repo } from "../testing/gantry-process.js";

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
  // A first build takes about 6 minutes here (debootstrap, npm ci, compiling better-sqlite3, the UI);
  // Podman's layer cache makes a rebuild of unchanged sources take seconds.
  await run("bash", [path.join(repo, "scripts/container-build.sh"), TAG], {
    timeout: 1_200_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  built = true;
}, 1_300_000);

afterAll(async () => {
  if (built) await podman(["rm", "--force", "--ignore", name]).catch(() => undefined);
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
