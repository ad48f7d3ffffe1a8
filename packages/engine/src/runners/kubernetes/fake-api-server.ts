import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import type { Duplex } from "node:stream";
import type { V1Pod } from "@kubernetes/client-node";
import { type WebSocket, WebSocketServer } from "ws";

/** What a fake pod does: its log, then its exit; or it waits (`hang`), or never starts (`waiting`). */
export interface PodBehaviour {
  log?: string;
  exitCode?: number;
  /** The termination message: what the step wrote to its output file. */
  message?: string;
  /** Stays running after its log until deleted (for cancel and timeout). */
  hang?: boolean;
  /** Never starts: the step container waits with this reason (e.g. ImagePullBackOff). */
  waiting?: string;
}

interface FakePod {
  pod: V1Pod;
  behaviour: PodBehaviour;
  phase: "Pending" | "Running" | "Done";
  reads: number;
  deleted: boolean;
  onDelete: Array<() => void>;
}

/**
 * A stand-in for a Kubernetes API server, implementing only the pod endpoints the runner uses: create,
 * read, list (by label), delete, and the (followed) log. No real cluster can run on this machine; this
 * checks the requests the runner makes and how it reads the answers, not a kubelet's behaviour.
 * A pod is Pending at its first read and Running at its second; it terminates when its log has been
 * sent (unless it hangs), so tests need no timing.
 */
export class FakeKubernetesApi {
  readonly pods = new Map<string, FakePod>();
  readonly requests: Array<{ method: string; path: string; authorization?: string }> = [];
  /** Every exec asked for: the pod, the command (the URL's), and what came on stdin. */
  readonly execs: Array<{ pod: string; container: string; command: string[]; stdin: string }> = [];
  /**
   * Where execs run, when set: as processes of this machine, with the pod's /gantry (its emptyDir) mapped
   * to a folder of its own under `root`. A stand-in for a kubelet, so a job's steps really share files;
   * paths are mapped in the command and its stdin, which is all that Gantry's execs carry.
   */
  kubelet: { root: string } | undefined;
  private server: http.Server | undefined;
  private readonly sockets = new WebSocketServer({
    noServer: true,
    // The client offers v5 first; v5 can close stdin alone, as a step's files need.
    handleProtocols: (protocols) => (protocols.has("v5.channel.k8s.io") ? "v5.channel.k8s.io" : false),
  });
  private readonly running = new Map<string, Set<ChildProcess>>();
  behaviour: (pod: V1Pod) => PodBehaviour = () => ({ log: "", exitCode: 0 });

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    this.server.on("upgrade", (req, socket, head) => this.upgrade(req, socket, head));
    await new Promise<void>((resolve) => this.server?.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const children of this.running.values())
      for (const child of children) if (child.pid) process.kill(-child.pid, "SIGKILL");
    for (const client of this.sockets.clients) client.terminate();
    this.sockets.close();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  /** Adds a pod as another (crashed) worker would have left it. */
  addPod(namespace: string, pod: V1Pod): void {
    this.pods.set(`${namespace}/${pod.metadata?.name}`, {
      pod,
      behaviour: { hang: true },
      phase: "Running",
      reads: 2,
      deleted: false,
      onDelete: [],
    });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://x");
    this.requests.push({
      method: req.method ?? "",
      path: url.pathname,
      ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
    });
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    const notFound = () =>
      json(404, { kind: "Status", code: 404, message: "pods not found", reason: "NotFound" });
    const match = /^\/api\/v1\/namespaces\/([^/]+)\/pods(?:\/([^/]+))?(\/log)?$/.exec(url.pathname);
    if (!match) return notFound();
    const [, namespace, name, log] = match;
    const key = `${namespace}/${name}`;
    if (req.method === "POST" && !name) {
      const pod = JSON.parse(await body(req)) as V1Pod;
      pod.metadata = { ...pod.metadata, namespace, uid: `uid-${this.pods.size}` };
      this.pods.set(`${namespace}/${pod.metadata.name}`, {
        pod,
        behaviour: this.behaviour(pod),
        phase: "Pending",
        reads: 0,
        deleted: false,
        onDelete: [],
      });
      return json(201, pod);
    }
    if (req.method === "GET" && !name) {
      const selector = url.searchParams.get("labelSelector") ?? "";
      const [labelKey, labelValue] = selector.split("=");
      const items = [...this.pods.entries()]
        .filter(([k, p]) => k.startsWith(`${namespace}/`) && !p.deleted)
        .map(([, p]) => p.pod)
        .filter((p) => !labelKey || p.metadata?.labels?.[labelKey] === labelValue);
      return json(200, { kind: "PodList", apiVersion: "v1", metadata: {}, items });
    }
    const fake = this.pods.get(key);
    if (!fake || fake.deleted) return notFound();
    if (req.method === "DELETE") {
      fake.deleted = true;
      for (const done of fake.onDelete) done();
      return json(200, fake.pod);
    }
    if (req.method === "GET" && log) return this.streamLog(fake, res);
    if (req.method === "GET") {
      fake.reads++;
      if (fake.phase === "Pending" && fake.reads >= 2 && !fake.behaviour.waiting) fake.phase = "Running";
      return json(200, { ...fake.pod, status: statusOf(fake) });
    }
    notFound();
  }

  /** The exec subresource: a WebSocket speaking v5.channel.k8s.io (stdin 0, stdout 1, stderr 2, status 3). */
  private upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? "/", "http://x");
    this.requests.push({
      method: req.method ?? "",
      path: url.pathname,
      ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
    });
    const match = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/exec$/.exec(url.pathname);
    const fake = match ? this.pods.get(`${match[1]}/${match[2]}`) : undefined;
    if (!match || !fake || fake.deleted || fake.phase !== "Running" || !this.kubelet) {
      socket.end("HTTP/1.1 404 Not Found\r\n\r\n");
      return;
    }
    const key = `${match[1]}-${match[2]}`;
    const record = {
      pod: match[2] as string,
      container: url.searchParams.get("container") ?? "",
      command: url.searchParams.getAll("command"),
      stdin: "",
    };
    this.execs.push(record);
    const withStdin = url.searchParams.get("stdin") === "true";
    this.sockets.handleUpgrade(req, socket, head, (ws) => {
      if (!withStdin) {
        this.runExec(ws, key, record);
        return;
      }
      const chunks: Buffer[] = [];
      ws.on("message", (data: Buffer) => {
        if (data[0] === 0) chunks.push(data.subarray(1));
        // 255, 0: the client closed stdin (v5): the command runs with what came.
        if (data[0] === 255 && data[1] === 0) {
          record.stdin = Buffer.concat(chunks).toString("utf8");
          this.runExec(ws, key, record);
        }
      });
    });
  }

  private runExec(ws: WebSocket, key: string, record: { command: string[]; stdin: string }): void {
    const root = path.join((this.kubelet as { root: string }).root, key);
    mkdirSync(root, { recursive: true });
    const map = (text: string) => text.split("/gantry").join(root);
    const finish = (code: number) => {
      const status =
        code === 0
          ? { metadata: {}, status: "Success" }
          : {
              metadata: {},
              status: "Failure",
              message: `command terminated with non-zero exit code: ${code}`,
              reason: "NonZeroExitCode",
              details: { causes: [{ reason: "ExitCode", message: String(code) }] },
            };
      ws.send(Buffer.concat([Buffer.from([3]), Buffer.from(JSON.stringify(status))]));
      ws.close();
    };
    const children = this.running.get(key) ?? new Set<ChildProcess>();
    this.running.set(key, children);
    const kill = /kill -(TERM|KILL) -1/.exec(record.command.join(" "));
    if (kill) {
      // As `kill -1` in the pod: every process of the pod's execs, not this machine's.
      for (const child of children)
        if (child.pid) process.kill(-child.pid, `SIG${kill[1]}` as NodeJS.Signals);
      finish(0);
      return;
    }
    const [program, ...args] = record.command.map(map);
    const child = spawn(program as string, args, {
      detached: true,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
      stdio: ["pipe", "pipe", "pipe"],
    });
    children.add(child);
    child.stdout.on("data", (d: Buffer) => ws.send(Buffer.concat([Buffer.from([1]), d])));
    child.stderr.on("data", (d: Buffer) => ws.send(Buffer.concat([Buffer.from([2]), d])));
    child.on("close", (code, signal) => {
      children.delete(child);
      finish(code ?? (signal === "SIGKILL" ? 137 : 143));
    });
    // A command that never reads its stdin may be gone before it is written.
    child.stdin.on("error", () => undefined);
    child.stdin.end(map(record.stdin));
  }

  private streamLog(fake: FakePod, res: http.ServerResponse): void {
    if (fake.phase === "Pending") {
      res.writeHead(400, { "content-type": "application/json" });
      res.end(JSON.stringify({ kind: "Status", code: 400, message: "container is waiting to start" }));
      return;
    }
    res.writeHead(200, { "content-type": "text/plain", "transfer-encoding": "chunked" });
    res.write(fake.behaviour.log ?? "");
    if (fake.behaviour.hang) {
      fake.onDelete.push(() => res.end());
      return;
    }
    fake.phase = "Done";
    res.end();
  }
}

function statusOf(fake: FakePod): Record<string, unknown> {
  const b = fake.behaviour;
  const state =
    fake.phase === "Pending"
      ? {
          waiting: {
            reason: b.waiting ?? "ContainerCreating",
            message: b.waiting ? "Back-off pulling image" : "",
          },
        }
      : fake.phase === "Running"
        ? { running: { startedAt: new Date().toISOString() } }
        : {
            terminated: {
              exitCode: b.exitCode ?? 0,
              message: b.message ?? "",
              reason: b.exitCode ? "Error" : "Completed",
            },
          };
  return {
    phase: fake.phase === "Done" ? (b.exitCode ? "Failed" : "Succeeded") : fake.phase,
    initContainerStatuses: [{ name: "gantry-files", state: { terminated: { exitCode: 0 } } }],
    containerStatuses: [{ name: "step", state }],
  };
}

function body(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}
