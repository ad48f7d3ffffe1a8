import http from "node:http";
import type { AddressInfo } from "node:net";
import type { V1Pod } from "@kubernetes/client-node";

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
  private server: http.Server | undefined;
  behaviour: (pod: V1Pod) => PodBehaviour = () => ({ log: "", exitCode: 0 });

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server?.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
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
