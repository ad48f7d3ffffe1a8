// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the tests hold workflow expressions
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { chooseRunNodes, coerceInputs, type NodeRecord, type RunInfo } from "@gantry/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadWorkflow } from "../../loader/load-workflow.js";
import { readKnownHosts } from "../../nodes/known-hosts.js";
import type { RunEvent } from "../../run/events.js";
import { runWorkflow } from "../../run/run-workflow.js";
import { startSshd, type TestSshd } from "../../testing/sshd.js";
import { tempDir } from "../../testing/temp-dir.js";
import { waitFor } from "../../testing/wait-for.js";
import { createRunners } from "../index.js";
import type { RunnerLike } from "../types.js";
import type { SshRunnerOptions } from "./ssh-runner.js";

const tmp = tempDir("gantry-ssh-");
let sshd: TestSshd;

beforeAll(async () => {
  sshd = await startSshd(tmp.dir);
});

afterAll(async () => {
  await sshd?.stop();
  tmp.cleanup();
});

/** Nodes that are all the test's sshd, under different names and facts. */
function node(name: string, extra: Partial<NodeRecord> = {}): NodeRecord {
  return {
    name,
    host: "127.0.0.1",
    port: sshd.port,
    user: sshd.user,
    tags: ["web"],
    attributes: { rack: name.toUpperCase() },
    ssh_key: `ref+file://${sshd.clientKeyFile}`,
    host_key: [sshd.hostKey],
    ...extra,
  };
}

let files = 0;

async function run(
  yaml: string,
  options: {
    nodes?: NodeRecord[];
    ssh?: SshRunnerOptions;
    inputs?: Record<string, unknown>;
    signal?: AbortSignal;
    onEvent?: (e: RunEvent) => void;
    extraFiles?: Record<string, string>;
    /** The runners to use (one made for this run otherwise): a runner keeps what it left on a node. */
    runner?: RunnerLike;
  } = {},
) {
  const dir = path.join(tmp.dir, `wf-${++files}`);
  const write = (relative: string, text: string) =>
    tmp.write(path.relative(tmp.dir, path.join(dir, relative)), text);
  for (const [file, text] of Object.entries(options.extraFiles ?? {})) write(file, text);
  const { loaded, problems } = await loadWorkflow(write("wf.yaml", yaml));
  expect(problems).toEqual([]);
  if (!loaded) throw new Error("not loaded");
  const base = {
    id: `run-${files}`,
    workflow: "wf",
    attempt: 1,
    trigger: { type: "manual" },
    inputs: coerceInputs(loaded.workflow.inputs, options.inputs ?? {}).values,
  };
  const actions = Object.fromEntries(Object.entries(loaded.actions).map(([k, v]) => [k, v.spec]));
  const info: RunInfo = {
    ...base,
    nodes: chooseRunNodes(loaded.workflow, actions, base, options.nodes ?? [node("a")]),
  };
  const events: RunEvent[] = [];
  const result = await runWorkflow(loaded, {
    runner: options.runner ?? createRunners(["ssh"], { ssh: { killGraceMs: 1000, ...options.ssh } }),
    info,
    parallel: 4,
    ...(options.signal ? { signal: options.signal } : {}),
    onEvent: (e) => {
      events.push(e);
      options.onEvent?.(e);
    },
  });
  const lines = (step: string, index?: number) =>
    events.flatMap((e) =>
      e.type === "line" && e.step === step && (index === undefined || e.index === index) ? [e.line] : [],
    );
  return { ...result, events, lines };
}

/** Whether a process of this machine (where the test's sshd runs the steps) is still alive. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("the ssh runner against Debian's OpenSSH", () => {
  it("runs a step on each node with the local step's contract and the node's facts", async () => {
    const { report, lines } = await run(
      `
inputs: {greeting: {type: string, default: hello}}
steps:
  hello:
    runner: {type: ssh, nodes: "tags:web", max_parallel: 2}
    env: {WHO: "\${{ item }}", GREETING: "\${{ inputs.greeting }}", "not-a-name": x}
    working_directory: sub/dir
    run: |
      echo "$WHO on $GANTRY_NODE_NAME ($GANTRY_NODE_HOST, tags $GANTRY_NODE_TAGS, rack $GANTRY_NODE_ATTR_RACK) says $GREETING"
      echo "in $(pwd | sed "s#$GANTRY_WORKSPACE#WS#")"
      test -f "$GANTRY_INPUTS" && test "$(cat "$GANTRY_INPUTS")" = '{}'
      echo "to stderr" >&2
      echo "node=$GANTRY_NODE_NAME" >> "$GANTRY_OUTPUT"
      echo "dir=$(dirname "$GANTRY_OUTPUT")" >> "$GANTRY_OUTPUT"
      test -z "\${GANTRY_DATABASE:-}" && test -z "\${CI_SECRET_OF_WORKER:-}"
`,
      { nodes: [node("web-1"), node("web-2"), node("db-1", { tags: ["db"] })] },
    );
    expect(report.status).toBe("succeeded");
    const step = report.steps.hello;
    expect(step?.items?.map((i) => [i.item, i.status, i.outputs.node])).toEqual([
      ["web-1", "succeeded", "web-1"],
      ["web-2", "succeeded", "web-2"],
    ]);
    expect(lines("hello", 0)).toEqual([
      "gantry: env 'not-a-name' is not a shell variable name; it is not set on web-1",
      "web-1 on web-1 (127.0.0.1, tags web, rack WEB-1) says hello",
      "in WS/sub/dir",
      "to stderr",
    ]);
    expect(lines("hello", 1)).toContain("web-2 on web-2 (127.0.0.1, tags web, rack WEB-2) says hello");
    // The step's folder, in the node's temporary folder ($TMPDIR), is gone afterwards.
    const folder = String(step?.items?.[0]?.outputs.dir);
    expect(path.dirname(folder)).toBe(sshd.nodeTmp);
    expect(path.basename(folder)).toMatch(/^gantry-step-/);
    await waitFor(() => !readDirExists(folder), { what: `${folder} removed` });
  });

  it("fails a node with its exit code and keeps the others apart, masking secrets in its output", async () => {
    process.env.GANTRY_TEST_SSH_SECRET = "s3cr3t-value";
    const { report, lines } = await run(
      `
steps:
  deploy:
    runner: {type: ssh, nodes: "*", keep_going: true}
    env: {TOKEN: ref+env://GANTRY_TEST_SSH_SECRET}
    run: |
      echo "token is $TOKEN"
      [ "$GANTRY_NODE_NAME" != b ] || exit 3
`,
      { nodes: [node("a"), node("b"), node("c")] },
    );
    delete process.env.GANTRY_TEST_SSH_SECRET;
    expect(report.steps.deploy?.items?.map((i) => [i.item, i.status, i.exit_code])).toEqual([
      ["a", "succeeded", 0],
      ["b", "failed", 3],
      ["c", "succeeded", 0],
    ]);
    expect(lines("deploy", 0)).toEqual(["token is ***"]);
    expect(report.status).toBe("failed");
  });

  it("runs an action's script from its folder on the node, with its inputs", async () => {
    const { report, lines } = await run(
      `
steps:
  greet:
    uses: ./greet
    runner: {type: ssh, nodes: a}
    with: {name: world}
`,
      {
        extraFiles: {
          "greet/action.yaml": "inputs: {name: {type: string}}\nruns: {using: bash, script: greet.sh}\n",
          "greet/greet.sh": 'source "$GANTRY_ACTION_PATH/lib.sh"\nsay "$INPUT_NAME"\n',
          "greet/lib.sh": 'say() { echo "hello, $1 from $(basename "$GANTRY_ACTION_PATH")"; }\n',
        },
      },
    );
    expect(report.steps.greet?.status).toBe("succeeded");
    expect(lines("greet")).toEqual(["hello, world from action"]);
  });

  it("runs a job's steps on each node in one workspace folder, removed at the end", async () => {
    const { report, lines } = await run(
      `
steps:
  job:
    runner: {type: ssh, nodes: "tags:web"}
    steps:
      - id: write
        run: |
          mkdir -p sub && echo "made on $GANTRY_NODE_NAME" > sub/made.txt
          echo "ws=$GANTRY_WORKSPACE" >> "$GANTRY_OUTPUT"
      - id: read
        working_directory: sub
        run: |
          echo "read: $(cat made.txt) in $(pwd | sed "s#$GANTRY_WORKSPACE#WS#")"
          echo "text=$(cat made.txt)-\${{ steps.write.outputs.ws != '' }}" >> "$GANTRY_OUTPUT"
      - run: exit 4
        continue_on_error: true
      - if: \${{ always() }}
        run: test -f sub/made.txt && echo "still there"
    outputs:
      ws: \${{ steps.write.outputs.ws }}
      text: \${{ steps.read.outputs.text }}
`,
      { nodes: [node("a"), node("b")] },
    );
    expect(report.steps.job?.status, report.steps.job?.error).toBe("succeeded");
    const legs = report.steps.job?.items ?? [];
    expect(legs.map((l) => [l.status, (l.outputs as Record<string, string>).text])).toEqual([
      ["succeeded", "made on a-true"],
      ["succeeded", "made on b-true"],
    ]);
    expect(lines("job", 0)).toEqual([
      '##[step] 0 Run mkdir -p sub && echo "made on $GANTRY_NODE_NAME" > sub/made.txt',
      '##[step] 1 Run echo "read: $(cat made.txt) in $(pwd | sed "s#$GANTRY_WORKSPACE#WS#")"',
      "read: made on a in WS/sub",
      "##[step] 2 Run exit 4",
      "gantry: exited with code 4",
      '##[step] 3 Run test -f sub/made.txt && echo "still there"',
      "still there",
    ]);
    // The node's folder is gone once the job ends (the test's nodes are this machine).
    for (const leg of legs) {
      const ws = (leg.outputs as Record<string, string>).ws as string;
      expect(ws).toMatch(/\/gantry-job-\w+$/);
      expect(existsSync(ws)).toBe(false);
    }
  });

  it("fails a job's artifact step on a node, saying where those run", async () => {
    const { report } = await run(`
steps:
  job:
    runner: {type: ssh, nodes: "*"}
    steps:
      - run: echo hi > a.txt
      - uses: gantry/upload-artifact
        with: {name: a, path: a.txt}
`);
    expect(report.steps.job?.status).toBe("failed");
    expect(report.steps.job?.error).toMatch(
      /gantry\/upload-artifact (needs a worker with an object store|runs in jobs on the local and docker runners, not ssh)/,
    );
  });

  it("connects with an encrypted key and its passphrase", async () => {
    const keyFile = tmp.write("secrets/encrypted.key", sshd.encryptedKey);
    process.env.GANTRY_TEST_SSH_PASSPHRASE = sshd.passphrase;
    const { report } = await run(`steps: {s: {runner: {type: ssh, nodes: "*"}, run: "true"}}`, {
      nodes: [
        node("a", {
          ssh_key: `ref+file://${keyFile}`,
          ssh_key_passphrase: "ref+env://GANTRY_TEST_SSH_PASSPHRASE",
        }),
      ],
    });
    delete process.env.GANTRY_TEST_SSH_PASSPHRASE;
    expect(report.status).toBe("succeeded");
  });

  it("refuses a host whose key differs from the one recorded, and one known nowhere", async () => {
    const other = execFileSync("ssh-keygen", ["-y", "-f", sshd.clientKeyFile], { encoding: "utf8" }).trim();
    const mismatch = await run(`steps: {s: {runner: {type: ssh, nodes: "*"}, run: "echo should not run"}}`, {
      nodes: [node("a", { host_key: [other] })],
    });
    expect(mismatch.report.steps.s?.status).toBe("failed");
    expect(mismatch.report.steps.s?.error).toMatch(
      new RegExp(
        `^a \\(127.0.0.1:${sshd.port}\\) presented a host key that does not match the one recorded \\(ssh-ed25519 key SHA256:`,
      ),
    );
    expect(mismatch.lines("s")).toEqual([]);

    const unknown = await run(`steps: {s: {runner: {type: ssh, nodes: "*"}, run: "true"}}`, {
      nodes: [node("a", { host_key: undefined } as Partial<NodeRecord>)],
    });
    expect(unknown.report.steps.s?.error).toMatch(
      /is not a known host \(it presented ssh-ed25519 key SHA256:.*\): give the node a host_key/,
    );
  });

  it("trusts known_hosts, and pins a new host's key only when asked", async () => {
    const knownHosts = path.join(tmp.dir, "known_hosts");
    const bare = node("a", { host_key: undefined } as Partial<NodeRecord>);
    delete bare.host_key;
    const wf = `steps: {s: {runner: {type: ssh, nodes: "*"}, run: "true"}}`;
    const refused = await run(wf, { nodes: [bare], ssh: { knownHostsFile: knownHosts } });
    expect(refused.report.steps.s?.error).toMatch(/allow first-use pinning \(ssh.accept_new_host_keys\)/);

    const pinned = await run(wf, {
      nodes: [bare],
      ssh: { knownHostsFile: knownHosts, acceptNewHostKeys: true },
    });
    expect(pinned.report.status).toBe("succeeded");
    expect(pinned.lines("s")[0]).toMatch(
      new RegExp(
        `^gantry: a \\(127.0.0.1:${sshd.port}\\) was not a known host; pinned its ssh-ed25519 key SHA256:\\S+ in ${knownHosts}$`,
      ),
    );
    expect(readFileSync(knownHosts, "utf8")).toBe(`[127.0.0.1]:${sshd.port} ${sshd.hostKey}\n`);

    // Known now, in a file ssh-keygen hashes: trusted without pinning again.
    execFileSync("ssh-keygen", ["-q", "-H", "-f", knownHosts]);
    const known = await run(wf, { nodes: [bare], ssh: { knownHostsFile: knownHosts } });
    expect(known.report.status).toBe("succeeded");
    expect(known.lines("s")).toEqual([]);
    expect((await readKnownHosts(knownHosts)).entries).toHaveLength(1);

    // A key recorded for the host that is not the one it shows: refused even with pinning on.
    const other = execFileSync("ssh-keygen", ["-y", "-f", sshd.clientKeyFile], { encoding: "utf8" }).trim();
    writeFileSync(knownHosts, `[127.0.0.1]:${sshd.port} ${other}\n`);
    const changed = await run(wf, {
      nodes: [bare],
      ssh: { knownHostsFile: knownHosts, acceptNewHostKeys: true },
    });
    expect(changed.report.steps.s?.error).toMatch(/does not match the one recorded/);
  });

  it("says why it cannot log in or connect", async () => {
    const wrongKey = tmp.write("secrets/wrong.key", "");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", `${wrongKey}2`]);
    const denied = await run(`steps: {s: {runner: {type: ssh, nodes: "*"}, run: "true"}}`, {
      nodes: [node("a", { ssh_key: `ref+file://${wrongKey}2` })],
    });
    expect(denied.report.steps.s?.error).toBe(
      `authentication as ${sshd.user} on a (127.0.0.1:${sshd.port}) failed: no key or password given was accepted`,
    );
    const closed = await run(`steps: {s: {runner: {type: ssh, nodes: "*"}, run: "true"}}`, {
      nodes: [node("a", { port: 1 })],
    });
    expect(closed.report.steps.s?.error).toMatch(/^a \(127.0.0.1:1\) refused the connection/);
  });

  it("stops the step's whole process group on the node when the run is cancelled", async () => {
    const pidFile = path.join(tmp.dir, "cancel.pids");
    const abort = new AbortController();
    const { report } = await run(
      `steps: {s: {runner: {type: ssh, nodes: "*"}, run: "sleep 300 & echo $! $$ > ${pidFile}; echo started; wait"}}`,
      {
        signal: abort.signal,
        onEvent: (e) => {
          if (e.type === "line" && e.line === "started") abort.abort();
        },
      },
    );
    expect(report.steps.s?.status).toBe("cancelled");
    const pids = readFileSync(pidFile, "utf8").trim().split(" ").map(Number);
    await waitFor(() => pids.every((p) => !alive(p)), {
      what: "the step's processes to end",
      timeoutMs: 15_000,
    });
  });

  it("times a step out, ending what it started", async () => {
    const pidFile = path.join(tmp.dir, "timeout.pids");
    const { report } = await run(
      `steps: {s: {runner: {type: ssh, nodes: "*"}, timeout: 8s, run: "trap '' TERM; sleep 300 & echo $! $$ > ${pidFile}; wait"}}`,
    );
    // 8 s: the timeout counts from the command's start, and a login shell on a busy machine takes seconds.
    expect(report.steps.s).toMatchObject({ status: "timed_out", error: "timed out after 8000 ms" });
    const pids = readFileSync(pidFile, "utf8").trim().split(" ").map(Number);
    // The shell ignores TERM: SIGKILL follows after the grace period.
    await waitFor(() => pids.every((p) => !alive(p)), {
      what: "the step's processes to end",
      timeoutMs: 15_000,
    });
  });

  it("ends the step on the node when the connection is lost, fails it saying so, and removes its folder on the next connection", async () => {
    const pidFile = path.join(tmp.dir, "lost.pids");
    let listener = 0;
    const runner = createRunners(["ssh"], { ssh: { killGraceMs: 1000 } });
    const { report } = await run(
      `steps: {s: {runner: {type: ssh, nodes: "*"}, run: "echo $$ > ${pidFile}; echo started; sleep 300"}}`,
      {
        runner,
        onEvent: (e) => {
          if (e.type !== "line" || e.line !== "started") return;
          // The sshd process serving this connection is a child of the test's sshd: kill it.
          listener = Number(readFileSync(path.join(tmp.dir, "sshd.pid"), "utf8"));
          for (const pid of execFileSync("pgrep", ["-P", String(listener)], { encoding: "utf8" })
            .trim()
            .split("\n")) {
            process.kill(Number(pid), "SIGKILL");
          }
        },
      },
    );
    expect(listener).toBeGreaterThan(0);
    expect(report.steps.s?.status).toBe("failed");
    expect(report.steps.s?.error).toMatch(/^the connection to a ended before the step did|^a: /);
    const pid = Number(readFileSync(pidFile, "utf8").trim());
    await waitFor(() => !alive(pid), { what: "the step's shell to end", timeoutMs: 15_000 });
    // The lost step's folder could not be removed then; the runner's next connection to the node does.
    expect(readdirSync(sshd.nodeTmp).filter((name) => name.startsWith("gantry-step-"))).toHaveLength(1);
    const next = await run(`steps: {s: {runner: {type: ssh, nodes: "*"}, run: "true"}}`, { runner });
    expect(next.report.status).toBe("succeeded");
    expect(readdirSync(sshd.nodeTmp)).toEqual([]);
  });
});

function readDirExists(dir: string): boolean {
  try {
    readFileSync(path.join(dir, "env.sh"));
    return true;
  } catch {
    return false;
  }
}
