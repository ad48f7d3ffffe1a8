import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { tempDir } from "../../../engine/src/testing/temp-dir.js";
import { repo } from "../testing/gantry-process.js";
import { chartDir, findObject, helmBinary, type K8sObject, parseObjects, runHelm } from "../testing/helm.js";

// docs/deploy.md against what it describes: every chart value it names exists, the defaults and
// behaviours it states are the chart's (read from values.yaml or from a render by real Helm), its alerts
// are the PrometheusRule's, and the tests it cites exist. A change to the chart that leaves the guide
// behind fails here.

const guide = readFileSync(path.join(repo, "docs/deploy.md"), "utf8");
// biome-ignore lint/suspicious/noExplicitAny: values.yaml, read by path.
const values = parse(readFileSync(path.join(chartDir, "values.yaml"), "utf8")) as Record<string, any>;
const files = tempDir("gantry-guide-");
afterAll(() => files.cleanup());

/** The first capture of `pattern` in the guide; fails, quoting the pattern, when the guide lacks it. */
function claim(pattern: RegExp): string {
  const match = pattern.exec(guide);
  if (!match) throw new Error(`docs/deploy.md no longer says ${pattern}`);
  return match[1] as string;
}

function valueAt(dotted: string): unknown {
  let at: unknown = values;
  for (const key of dotted.split(".")) {
    if (at === null || typeof at !== "object" || !(key in (at as object))) return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return at;
}

let objects: K8sObject[];
beforeAll(async () => {
  const helm = await helmBinary();
  const result = await runHelm(helm, files.dir, [
    "template",
    "rel",
    chartDir,
    "--namespace",
    "gantry",
    "-f",
    path.join(chartDir, "ci/minimal-values.yaml"),
    "--set",
    "worker.runners[0]=kubernetes,worker.autoscaling.enabled=true,metrics.prometheusRule.enabled=true",
  ]);
  expect(result.stderr).toBe("");
  objects = parseObjects(result.stdout);
}, 180_000);

describe("docs/deploy.md says what the chart does", () => {
  it("names only values the chart has", () => {
    const tops = new Set(Object.keys(values));
    const named = new Set<string>();
    // `worker.grace`, `server|worker.extraVolumes`, `extraEnv[].valueFrom`, `retention.runs: 90d`, …
    for (const [, text] of guide.matchAll(/`([A-Za-z0-9|.[\]]+)(?:[:=][^`]*)?`/g)) {
      const [first, ...rest] = (text as string).replace(/\[\]/g, "").split(".");
      for (const top of (first as string).split("|")) {
        if (tops.has(top) && rest.length > 0) named.add([top, ...rest].join("."));
      }
    }
    expect(named.size).toBeGreaterThan(40);
    const missing = [...named].filter((p) => valueAt(p) === undefined && !p.startsWith("extraEnv.valueFrom"));
    expect(missing).toEqual([]);
  });

  it("states the defaults values.yaml has", () => {
    expect(Number(claim(/`worker\.grace` \(default (\d+) s\)/))).toBe(values.worker.grace);
    expect(Number(claim(/`server\.preStopSeconds` \((\d+) s\)/))).toBe(values.server.preStopSeconds);
    expect(Number(claim(/within `terminationGracePeriodSeconds` \((\d+) s\)/))).toBe(
      values.server.terminationGracePeriodSeconds,
    );
    expect(Number(claim(/on `metrics\.port` \((\d+)\)/))).toBe(values.metrics.port);
    expect(Number(claim(/a server Deployment \((\d+) replicas\)/))).toBe(values.server.replicas);
    expect(claim(/`worker\.kubernetes\.initImage` \(default `([^`]+)`\)/)).toBe(
      values.worker.kubernetes.initImage,
    );
    expect(claim(/`worker\.kubernetes\.dindImage` \(default `([^`]+)`\)/)).toBe(
      values.worker.kubernetes.dindImage,
    );
    expect(claim(/`networkPolicy\.enabled` \(the (default)\)/)).toBe("default");
    expect(values.networkPolicy.enabled).toBe(true);
    expect(claim(/the cloud metadata service by (default)/)).toBe("default");
    expect(values.networkPolicy.stepEgressExceptCIDRs).toContain("169.254.169.254/32");
  });

  it("describes the rendered objects as they are", () => {
    const worker = findObject(objects, "Deployment", "rel-gantry-worker");
    const server = findObject(objects, "Deployment", "rel-gantry-server");
    // "`terminationGracePeriodSeconds` is the grace plus 30 s"
    expect(Number(claim(/`terminationGracePeriodSeconds` is the grace\s+plus (\d+) s/))).toBe(
      worker.spec.template.spec.terminationGracePeriodSeconds - values.worker.grace,
    );
    // "Servers roll one at a time (`maxUnavailable: 0`)"
    expect(claim(/Servers roll one at a time \(`maxUnavailable: (\d+)`\)/)).toBe(
      String(server.spec.strategy.rollingUpdate.maxUnavailable),
    );
    // "a startup probe (10 minutes, …)"
    const startup = server.spec.template.spec.containers[0].startupProbe;
    expect(Number(claim(/a startup probe \((\d+) minutes/)) * 60).toBe(
      startup.periodSeconds * startup.failureThreshold,
    );
    // "The worker HPA scales down one pod a minute after 5 minutes of low load"
    const scaleDown = findObject(objects, "HorizontalPodAutoscaler", "rel-gantry-worker").spec.behavior
      .scaleDown;
    expect(claim(/scales down (one) pod a minute/)).toBe("one");
    expect(scaleDown.policies).toEqual([{ type: "Pods", value: 1, periodSeconds: 60 }]);
    expect(Number(claim(/a minute after (\d+) minutes of low load/)) * 60).toBe(
      scaleDown.stabilizationWindowSeconds,
    );
    // "`create`, `get`, `list`, `delete` on pods and `get` on `pods/log`", in `<release namespace>-steps`
    const verbs = claim(/a Role in that namespace only, ((?:`\w+`,? )+)on pods/)
      .match(/\w+/g)
      ?.sort();
    const role = findObject(objects, "Role", "rel-gantry-runner");
    expect(role.metadata.namespace).toBe("gantry-steps");
    expect(claim(/`(<release namespace>-steps)` by default/)).toBe("<release namespace>-steps");
    expect(role.rules[0]).toMatchObject({ resources: ["pods"] });
    expect([...role.rules[0].verbs].sort()).toEqual(verbs);
    expect(role.rules[1]).toEqual({ apiGroups: [""], resources: ["pods/log"], verbs: ["get"] });
    // "PodDisruptionBudgets … allow one pod at a time to be evicted (`maxUnavailable: 1`)"
    for (const name of ["rel-gantry-server", "rel-gantry-worker"]) {
      expect(findObject(objects, "PodDisruptionBudget", name).spec.maxUnavailable).toBe(
        Number(claim(/allow one pod at a time to be evicted\s+\(`maxUnavailable: (\d+)`\)/)),
      );
    }
  });

  it("lists the alerts the PrometheusRule installs, with their durations", () => {
    const table = [...guide.matchAll(/^\| (Gantry\w+)\s+\|[^|]+\| (\S+)\s+\|$/gm)].map((m) => ({
      alert: m[1],
      for: m[2] === "—" ? undefined : m[2],
    }));
    const rules = findObject(objects, "PrometheusRule", "rel-gantry").spec.groups[0].rules as Array<{
      alert: string;
      for?: string;
    }>;
    expect(table).toEqual(rules.map((r) => ({ alert: r.alert, for: r.for })));
  });

  it("pins the base image the Dockerfile pins", () => {
    const [, start, end] = /`node:24-bookworm-slim@sha256:([0-9a-f]+)…([0-9a-f]+)`/.exec(guide) ?? [];
    const pinned = /^ARG NODE_IMAGE=node:24-bookworm-slim@sha256:([0-9a-f]{64})$/m.exec(
      readFileSync(path.join(repo, "Dockerfile"), "utf8"),
    )?.[1];
    expect(start && end && pinned?.startsWith(start) && pinned.endsWith(end)).toBe(true);
  });

  it("cites tests that exist", () => {
    const section = guide.slice(guide.indexOf("## What is checked, and what is not"));
    const cited = new Set(section.match(/[\w-]+(?:\.services)?\.test\.ts/g));
    expect(cited.size).toBeGreaterThanOrEqual(8);
    const tracked = execFileSync("git", ["ls-files", "packages", "scripts"], { cwd: repo, encoding: "utf8" })
      .split("\n")
      .map((f) => path.basename(f));
    expect([...cited].filter((name) => !tracked.includes(name))).toEqual([]);
  });
});
