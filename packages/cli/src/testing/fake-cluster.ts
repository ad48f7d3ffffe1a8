import http from "node:http";
import type { AddressInfo } from "node:net";
import { tempDir } from "../../../engine/src/testing/temp-dir.js";

/**
 * Just enough of a Kubernetes API server for `helm template --dry-run=server`: version and discovery for
 * the kinds the chart renders, and GET of single objects from an in-memory store (what the chart's
 * `lookup` calls read), 404 for the rest. No real API server can run here; this lets the chart's lookup
 * branches (a first install, an upgrade, a missing Secret) run under real Helm. It accepts no writes.
 */
export interface FakeCluster {
  /** A kubeconfig file pointing at it, for KUBECONFIG. */
  kubeconfig: string;
  /** Objects `lookup` finds, by `namespace/kind-plural/name` (core v1 only: secrets, configmaps). */
  objects: Map<string, unknown>;
  /** Requests received, as `METHOD path`. */
  requests: string[];
  close(): Promise<void>;
}

const GROUPS: Array<[string, string, Array<[string, string]>]> = [
  ["apps", "v1", [["deployments", "Deployment"]]],
  ["batch", "v1", [["jobs", "Job"]]],
  ["policy", "v1", [["poddisruptionbudgets", "PodDisruptionBudget"]]],
  ["autoscaling", "v2", [["horizontalpodautoscalers", "HorizontalPodAutoscaler"]]],
  [
    "networking.k8s.io",
    "v1",
    [
      ["ingresses", "Ingress"],
      ["networkpolicies", "NetworkPolicy"],
    ],
  ],
  [
    "rbac.authorization.k8s.io",
    "v1",
    [
      ["roles", "Role"],
      ["rolebindings", "RoleBinding"],
    ],
  ],
  [
    "monitoring.coreos.com",
    "v1",
    [
      ["podmonitors", "PodMonitor"],
      ["prometheusrules", "PrometheusRule"],
    ],
  ],
];
const CORE: Array<[string, string, boolean]> = [
  ["secrets", "Secret", true],
  ["configmaps", "ConfigMap", true],
  ["services", "Service", true],
  ["serviceaccounts", "ServiceAccount", true],
  ["namespaces", "Namespace", false],
];

export async function startFakeCluster(namespace: string): Promise<FakeCluster> {
  const objects = new Map<string, unknown>();
  const requests: string[] = [];
  const send = (res: http.ServerResponse, code: number, body: unknown) => {
    res.writeHead(code, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
  const resources = (list: Array<[string, string, boolean]>) =>
    list.map(([name, kind, namespaced]) => ({
      name,
      singularName: kind.toLowerCase(),
      namespaced,
      kind,
      verbs: ["get", "list"],
    }));
  const server = http.createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0] as string;
    requests.push(`${req.method} ${path}`);
    if (req.method !== "GET") return send(res, 405, { kind: "Status", code: 405, message: "read-only fake" });
    if (path === "/version") return send(res, 200, { major: "1", minor: "31", gitVersion: "v1.31.0" });
    if (path === "/api") return send(res, 200, { kind: "APIVersions", versions: ["v1"] });
    if (path === "/api/v1")
      return send(res, 200, { kind: "APIResourceList", groupVersion: "v1", resources: resources(CORE) });
    if (path === "/apis") {
      return send(res, 200, {
        kind: "APIGroupList",
        apiVersion: "v1",
        groups: GROUPS.map(([group, version]) => ({
          name: group,
          versions: [{ groupVersion: `${group}/${version}`, version }],
          preferredVersion: { groupVersion: `${group}/${version}`, version },
        })),
      });
    }
    for (const [group, version, kinds] of GROUPS) {
      if (path === `/apis/${group}/${version}`) {
        return send(res, 200, {
          kind: "APIResourceList",
          groupVersion: `${group}/${version}`,
          resources: resources(kinds.map(([plural, kind]) => [plural, kind, true])),
        });
      }
    }
    const core = /^\/api\/v1\/namespaces\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(path);
    const found = core ? objects.get(`${core[1]}/${core[2]}/${core[3]}`) : undefined;
    if (found) return send(res, 200, found);
    return send(res, 404, {
      kind: "Status",
      apiVersion: "v1",
      status: "Failure",
      reason: "NotFound",
      code: 404,
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const dir = tempDir("gantry-fake-cluster-");
  const kubeconfig = dir.write(
    "kubeconfig",
    `apiVersion: v1
kind: Config
clusters: [{name: fake, cluster: {server: "http://127.0.0.1:${port}"}}]
contexts: [{name: fake, context: {cluster: fake, user: fake, namespace: ${namespace}}}]
current-context: fake
users: [{name: fake, user: {token: fake}}]
`,
  );
  return {
    kubeconfig,
    objects,
    requests,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      dir.cleanup();
    },
  };
}
