import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestApp, type TestApp } from "../testing/test-app.js";

const CRONJOB = `apiVersion: batch/v1
kind: CronJob
metadata:
  name: report
spec:
  schedule: "*/5 * * * *"
  concurrencyPolicy: Replace
  jobTemplate:
    spec:
      backoffLimit: 0
      template:
        spec:
          restartPolicy: Never
          containers:
            - name: main
              image: busybox
              command: [sh, -c, "echo hi"]
`;

describe("POST /api/v1/import", () => {
  let stack: TestApp;
  beforeAll(async () => {
    stack = await openTestApp("gantry-import-route-", {});
  });
  afterAll(() => stack.close());

  it("converts a file and answers the files and the report, storing nothing", async () => {
    const res = await stack.app.inject({
      method: "POST",
      url: "/api/v1/import",
      payload: { kind: "cronjob", text: CRONJOB, file: "report.yaml", runner: "docker" },
    });
    expect(res.statusCode).toBe(200);
    const report = res.json();
    expect(report.file).toBe("report.yaml");
    expect(report.errors).toEqual([]);
    expect(report.outputs.map((o: { path: string }) => o.path)).toEqual([
      "report.yaml",
      "actions/report-main/action.yaml",
    ]);
    expect(report.outputs[0].text).toContain("concurrency: replace");
    expect(report.outputs[0].text).toContain("type: docker");
    expect(report.findings).toContainEqual(
      expect.objectContaining({
        feature: "concurrency-policy",
        outcome: "converted",
        detail: "Replace -> replace",
        line: 7,
      }),
    );
    // Nothing was registered by converting.
    const workflows = await stack.app.inject({ url: "/api/v1/workflows" });
    expect(workflows.json().workflows).toEqual([]);
  });

  it("says why a file cannot be read, with its position", async () => {
    const res = await stack.app.inject({
      method: "POST",
      url: "/api/v1/import",
      payload: { kind: "rundeck", text: "<joblist><job><name>x</job></joblist>" },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().outputs).toEqual([]);
    expect(res.json().errors[0]).toMatch(/^job\.xml:1:\d+: XML: /);
  });

  it("refuses an unknown kind and a file over the size limit", async () => {
    const kind = await stack.app.inject({
      method: "POST",
      url: "/api/v1/import",
      payload: { kind: "jenkins", text: "x" },
    });
    expect(kind.statusCode).toBe(400);
    const big = await stack.app.inject({
      method: "POST",
      url: "/api/v1/import",
      payload: { kind: "cronjob", text: "x".repeat(2 * 1024 * 1024 + 1) },
    });
    expect([400, 413]).toContain(big.statusCode);
  });

  it("lists each converter's features", async () => {
    const res = await stack.app.inject({ url: "/api/v1/import/features" });
    expect(res.statusCode).toBe(200);
    expect(res.json().kinds.rundeck["step-jobref"]).toMatchObject({
      outcome: "later",
      needs: "sub-workflows, #25",
    });
    expect(res.json().kinds.rundeck["node-filter"]).toMatchObject({ outcome: "converted" });
  });
});
