import type { PreparedTask } from "@gantry/core";
import { describe, expect, it } from "vitest";
import { resolveTaskSecrets } from "../run/task-secrets.js";

describe("a node's secrets, resolved for its task", () => {
  it("resolves the key and masks it, and only it: the node's name, host and tags stay readable", async () => {
    const task: PreparedTask = {
      step: "deploy",
      index: 0,
      attempt: 1,
      delayMs: 0,
      name: "deploy",
      program: { kind: "inline", shell: "bash", script: "true" },
      inputs: { hosts: [{ name: "db-1", host: "10.0.0.5", password: "ref+env://DB_PASSWORD" }] },
      env: {},
      secrets: [],
      runner: {
        type: "ssh",
        nodes: "tags:web",
        node: {
          name: "web-1",
          host: "10.0.0.11",
          tags: ["web"],
          attributes: { env: "prod" },
          ssh_key: "ref+env://WEB_KEY",
        },
      },
    };
    const resolved = await resolveTaskSecrets(task, {
      baseDir: "/",
      env: { WEB_KEY: "-----BEGIN OPENSSH PRIVATE KEY-----\nabc", DB_PASSWORD: "pw-db-1" },
    });
    expect(resolved.runner?.node?.ssh_key).toBe("-----BEGIN OPENSSH PRIVATE KEY-----\nabc");
    expect(resolved.runner?.node?.name).toBe("web-1");
    expect((resolved.inputs.hosts as Array<{ password: string }>)[0]?.password).toBe("pw-db-1");
    expect(resolved.secrets.sort()).toEqual(["-----BEGIN OPENSSH PRIVATE KEY-----\nabc", "pw-db-1"]);
  });
});
