// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the tests hold workflow expressions

import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { convert } from "../testing/convert.js";

const cronJob = (spec: string, pod = "", container = "") => `apiVersion: batch/v1
kind: CronJob
metadata:
  name: nightly-report
  namespace: reports
spec:
${spec}
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
${pod}
          containers:
            - name: report
              image: registry.example.com/report:1.2
${container}
`;

describe("Kubernetes CronJobs", () => {
  it("maps the schedule and its policies: concurrencyPolicy, startingDeadlineSeconds, suspend, timeZone", () => {
    for (const [policy, expected] of [
      ["Allow", "allow"],
      ["Forbid", "forbid"],
      ["Replace", "replace"],
    ]) {
      const { workflow } = convert(
        "cronjob",
        "job.yaml",
        cronJob(
          `  schedule: "15 3 * * 1-5"\n  timeZone: America/New_York\n  concurrencyPolicy: ${policy}\n  startingDeadlineSeconds: 120\n  suspend: true`,
        ),
      );
      expect(workflow.on).toEqual({
        manual: {},
        schedule: [
          {
            cron: "15 3 * * 1-5",
            timezone: "America/New_York",
            concurrency: expected,
            starting_deadline: "2m",
            suspend: true,
          },
        ],
      });
    }
  });

  it("reads a CRON_TZ= prefix as the time zone, and says when none is given", () => {
    const prefixed = convert("cronjob", "a.yaml", cronJob('  schedule: "CRON_TZ=Asia/Tokyo 0 9 * * *"'));
    expect(prefixed.workflow.on).toMatchObject({ schedule: [{ cron: "0 9 * * *", timezone: "Asia/Tokyo" }] });
    const plain = convert("cronjob", "b.yaml", cronJob('  schedule: "@hourly"'));
    expect(plain.workflow.on).toMatchObject({ schedule: [{ cron: "@hourly" }] });
    expect(plain.feature("no-time-zone")).toEqual([expect.objectContaining({ outcome: "difference" })]);
  });

  it("keeps only on.manual, and says so, for a schedule Gantry cannot read", () => {
    const { workflow, feature } = convert("cronjob", "a.yaml", cronJob('  schedule: "@every 5m"'));
    expect(workflow.on).toEqual({ manual: {} });
    expect(feature("schedule-unreadable")).toEqual([expect.objectContaining({ outcome: "manual" })]);
  });

  it("turns backoffLimit into retries with Kubernetes' backoff (6 when unset) and activeDeadlineSeconds into a timeout", () => {
    const unset = convert("cronjob", "a.yaml", cronJob('  schedule: "0 * * * *"'));
    expect(unset.workflow.steps.report?.retry).toEqual({ attempts: 7, backoff: "exponential", delay: "10s" });
    const text = cronJob('  schedule: "0 * * * *"').replace(
      "      template:",
      "      backoffLimit: 0\n      activeDeadlineSeconds: 5400\n      template:",
    );
    const none = convert("cronjob", "b.yaml", text);
    expect(none.workflow.steps.report).not.toHaveProperty("retry");
    expect(none.workflow.steps.report?.timeout).toBe("1h30m");
    // With no retry the deadline is exactly the step's timeout; with retries it is reported as a difference.
    expect(none.feature("active-deadline")).toHaveLength(1);
    const withRetries = convert("cronjob", "c.yaml", text.replace("backoffLimit: 0", "backoffLimit: 2"));
    expect(withRetries.feature("active-deadline-retries")).toHaveLength(1);
  });

  it("runs the container as a container action: command as entrypoint, args as command, on the kubernetes runner", () => {
    const { workflow, texts } = convert(
      "cronjob",
      "a.yaml",
      cronJob(
        '  schedule: "0 * * * *"',
        "          serviceAccountName: reporter\n          nodeSelector: {pool: batch}\n          imagePullSecrets: [{name: regcred}]\n          securityContext: {runAsUser: 1000, runAsGroup: 2000}",
        '              imagePullPolicy: Always\n              command: ["/bin/report"]\n              args: ["--since", "24h"]\n              resources: {requests: {cpu: 100m}, limits: {memory: 256Mi}}',
      ),
    );
    expect(workflow.steps.report).toMatchObject({
      uses: "./actions/nightly-report-report",
      runner: {
        type: "kubernetes",
        namespace: "reports",
        service_account: "reporter",
        node_selector: { pool: "batch" },
        image_pull_secrets: ["regcred"],
        user: "1000:2000",
        pull: "always",
        resources: { requests: { cpu: "100m" }, limits: { memory: "256Mi" } },
      },
    });
    expect(parse(texts["actions/nightly-report-report/action.yaml"] as string)).toEqual({
      name: "nightly-report-report",
      description: "Container report of CronJob nightly-report",
      runs: {
        using: "container",
        image: "registry.example.com/report:1.2",
        entrypoint: ["/bin/report"],
        command: ["--since", "24h"],
      },
    });
  });

  it("with the docker runner, keeps limits as cpus and memory and reports what the pod had beyond them", () => {
    const { workflow, feature } = convert(
      "cronjob",
      "a.yaml",
      cronJob(
        '  schedule: "0 * * * *"',
        "          serviceAccountName: reporter",
        "              resources: {requests: {cpu: 100m}, limits: {cpu: 500m, memory: 256Mi}}",
      ),
      { runner: "docker" },
    );
    expect(workflow.steps.report?.runner).toEqual({ type: "docker", cpus: "500m", memory: "256Mi" });
    expect(feature("docker-runner-drops").map((f) => f.detail)).toEqual([
      "namespace reports, service account reporter",
      "resource requests",
    ]);
  });

  it("turns secretKeyRef into a secret reference to fill in, and reports envFrom and configMap values as to do", () => {
    const { workflow, texts, feature } = convert(
      "cronjob",
      "a.yaml",
      cronJob(
        '  schedule: "0 * * * *"',
        "",
        "              env:\n                - {name: MODE, value: fast}\n                - name: DB_PASSWORD\n                  valueFrom: {secretKeyRef: {name: db, key: password}}\n                - name: LEVEL\n                  valueFrom: {configMapKeyRef: {name: cfg, key: level}}\n              envFrom:\n                - secretRef: {name: all-secrets}",
      ),
    );
    expect(workflow.secrets).toEqual({ DB_PASSWORD: "ref+env://DB_PASSWORD" });
    expect(workflow.steps.report?.env).toEqual({ MODE: "fast", DB_PASSWORD: "${{ secrets.DB_PASSWORD }}" });
    expect(texts["nightly-report.yaml"]).toContain("# Fill in: Kubernetes Secret db, key password.");
    expect(feature("env-config-map")).toHaveLength(1);
    expect(feature("env-from")[0]).toMatchObject({
      outcome: "manual",
      detail: "every key of Secret all-secrets",
    });
  });

  it("makes one workflow per CronJob of a List or of several documents, and reports the other objects", () => {
    const list = `apiVersion: v1
kind: List
items:
  - ${cronJob('  schedule: "0 1 * * *"').replace(/\n/g, "\n    ")}
  - apiVersion: v1
    kind: ConfigMap
    metadata: {name: settings}
`;
    const fromList = convert("cronjob", "list.yaml", list);
    expect(fromList.report.outputs.map((o) => o.path)).toEqual([
      "nightly-report.yaml",
      "actions/nightly-report-report/action.yaml",
    ]);
    expect(fromList.feature("other-object")[0]?.detail).toBe("ConfigMap settings stays a Kubernetes object");
    const documents = `${cronJob('  schedule: "0 1 * * *"')}---\n${cronJob('  schedule: "0 2 * * *"')}`;
    const two = convert("cronjob", "two.yaml", documents);
    expect(two.report.outputs.filter((o) => o.kind === "workflow").map((o) => o.name)).toEqual([
      "nightly-report",
      "nightly-report-2",
    ]);
  });

  it("keeps each comment beside what its line became", () => {
    const text = `apiVersion: batch/v1
kind: CronJob
metadata:
  name: tidy
spec:
  # every night, after the backup
  schedule: "0 4 * * *"
  # never two at once: they would fight over the lock
  concurrencyPolicy: Forbid
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
            - name: tidy
              image: busybox
              env:
                # keep a week
                - name: DAYS
                  value: "7" # days, not hours
`;
    const out = convert("cronjob", "tidy.yaml", text).texts["tidy.yaml"] as string;
    expect(out).toContain(
      "  # every night, after the backup\n  schedule:\n    - cron: 0 4 * * *\n      # never two at once: they would fight over the lock\n      concurrency: forbid",
    );
    expect(out).toContain('      # keep a week\n      DAYS: "7" # days, not hours');
  });

  it("refuses a file without a CronJob", () => {
    expect(() =>
      convert("cronjob", "svc.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: x}\n"),
    ).toThrow("svc.yaml:1:1: no CronJob (kind: CronJob) in this file");
  });
});
