// biome-ignore-all lint/suspicious/noTemplateCurlyInString: workflows in these tests are full of ${{ }}.
import { existsSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import type { Worker } from "@gantry/engine";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestApp, startTestWorker, type TestApp } from "../testing/test-app.js";

const WORKFLOWS: Record<string, string> = {
  "deploy.yaml": `
name: deploy
inputs:
  region: {type: choice, options_from: {run: "echo '[\\"eu-west-1\\", {\\"value\\": \\"us-east-1\\", \\"label\\": \\"US East\\"}]'", cache: 10m}}
  host: {type: choice, options_from: {workflow: list-hosts, with: {region: "\${{ inputs.region }}"}}}
  disk: {type: choice, options_from: {run: 'printf "[\\"%s-disk\\"]" "$INPUT_REGION"', depends_on: [region]}}
  zone: {type: choice, options_from: {http: "ZONES_URL?region=\${{ inputs.region }}", path: "$.zones[*].id"}}
steps:
  go: {run: "true"}
`,
  "list-hosts.yaml": `
name: list-hosts
inputs:
  region: {type: string, required: true}
steps:
  list:
    env: {REGION: "\${{ inputs.region }}"}
    run: echo "hosts=[\\"$REGION-a\\", \\"$REGION-b\\"]" >> "$GANTRY_OUTPUT"
outputs:
  options: \${{ steps.list.outputs.hosts }}
`,
};

describe("dynamic and dependent input options", () => {
  let t: TestApp;
  let worker: Worker;
  let http: Server;
  const asked: string[] = [];

  beforeAll(async () => {
    http = createServer((req, res) => {
      asked.push(req.url ?? "");
      const region = new URL(req.url ?? "/", "http://x").searchParams.get("region");
      if (region === "broken") return void res.writeHead(500).end("no");
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ zones: [{ id: `${region}a` }, { id: `${region}b` }] }));
    });
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/zones`;
    const flows = {
      ...WORKFLOWS,
      "deploy.yaml": (WORKFLOWS["deploy.yaml"] as string).replace("ZONES_URL", url),
    };
    t = await openTestApp("gantry-options-", flows);
    worker = await startTestWorker(t.service, t.dir);
  });
  afterAll(async () => {
    await worker?.stop();
    await t?.close();
    await new Promise((resolve) => http?.close(resolve));
  });

  const options = (input: string, query = "") =>
    t.app.inject({ url: `/api/v1/workflows/deploy/inputs/${input}/options${query}` });

  it("runs a script on a worker and caches its list", async () => {
    const first = await options("region");
    expect(first.statusCode).toBe(200);
    expect(first.json().options).toEqual([{ value: "eu-west-1" }, { value: "us-east-1", label: "US East" }]);
    expect(first.json().run_id).toEqual(expect.any(String));
    const run = (await t.app.inject({ url: `/api/v1/runs/${first.json().run_id}` })).json();
    expect(run.trigger).toEqual({ type: "options", input: "region" });
    const again = await options("region");
    expect(again.json().run_id).toBe(first.json().run_id);
  });

  it("recomputes a dependent list when its parent changes, and waits for the parent first", async () => {
    const waiting = await options("host");
    expect(waiting.json()).toMatchObject({ options: [], waiting_for: ["region"] });
    const eu = await options("host", "?region=eu-west-1");
    expect(eu.statusCode).toBe(200);
    expect(eu.json().options.map((o: { value: string }) => o.value)).toEqual(["eu-west-1-a", "eu-west-1-b"]);
    const us = await options("host", "?region=us-east-1");
    expect(us.json().options.map((o: { value: string }) => o.value)).toEqual(["us-east-1-a", "us-east-1-b"]);
    expect(us.json().run_id).not.toBe(eu.json().run_id);
    const zones = await options("zone", "?region=eu%26x");
    expect(zones.json().options.map((o: { value: string }) => o.value)).toEqual(["eu&xa", "eu&xb"]);
    // The value was encoded: it did not add a parameter to the URL.
    expect(asked.at(-1)).toBe("/zones?region=eu%26x");
  });

  it("passes a parent's value to a script as a variable, never as script text", async () => {
    const evil = `$(touch ${path.join(t.dir, "pwned")})`;
    const res = await options("disk", `?region=${encodeURIComponent(evil)}`);
    expect(res.statusCode).toBe(200);
    expect(res.json().options).toEqual([{ value: `${evil}-disk` }]);
    expect(existsSync(path.join(t.dir, "pwned"))).toBe(false);
  });

  it("says why a source failed, and refuses unknown inputs and oversized values", async () => {
    const broken = await options("zone", "?region=broken");
    expect(broken.statusCode).toBe(502);
    expect(broken.json().error).toMatch(/GET http:\/\/127\.0\.0\.1:\d+\/zones\?…: 500/);
    expect((await options("nope")).statusCode).toBe(404);
    expect((await options("zone", `?region=${"x".repeat(5000)}`)).statusCode).toBe(400);
  });

  it("checks a submitted value against the current options", async () => {
    const start = (inputs: object) =>
      t.app.inject({ method: "POST", url: "/api/v1/workflows/deploy/runs", payload: { inputs } });
    const bad = await start({ region: "eu-west-1", host: "us-east-1-a" });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors).toEqual([
      {
        field: "host",
        message: `inputs.host: 'us-east-1-a' is not one of the current options ("eu-west-1-a", "eu-west-1-b")`,
      },
    ]);
    const region = await start({ region: "mars-1" });
    expect(region.statusCode).toBe(400);
    expect(region.json().errors[0].field).toBe("region");
    const good = await start({ region: "eu-west-1", host: "eu-west-1-b", zone: "eu-west-1a" });
    expect(good.statusCode).toBe(201);
  });
});
