import { describe, expect, it } from "vitest";
import { gantryYamlFolder } from "../testing/gantry-yaml.js";

describe("gantry.yaml environments, notify, smtp and server.public_url", () => {
  const folder = gantryYamlFolder();
  const load = folder.load;

  it("keeps secret references unresolved for the worker and the sender", async () => {
    const config = await load(`server: {public_url: https://gantry.example.com}
environments:
  - name: production
    approvers: {groups: [ops]}
    branches: [main, "release/**"]
    wait: 5m
    allow_self: true
    secrets: {DEPLOY_TOKEN: ref+env://NOT_SET_HERE}
notify:
  - on: [failure]
    email: {to: [ops@example.com]}
smtp: {host: smtp.example.com, port: 587, password: ref+env://ALSO_NOT_SET, from: gantry@example.com}
`);
    expect(config.people).toEqual({
      environments: [
        {
          name: "production",
          approvers: { groups: ["ops"] },
          branches: ["main", "release/**"],
          waitMs: 300_000,
          allowSelf: true,
          secrets: { DEPLOY_TOKEN: "ref+env://NOT_SET_HERE" },
        },
      ],
      notify: [{ on: ["failure"], email: { to: ["ops@example.com"] } }],
      smtp: {
        host: "smtp.example.com",
        port: 587,
        password: "ref+env://ALSO_NOT_SET",
        from: "gantry@example.com",
      },
    });
    expect(config.publicUrl).toBe("https://gantry.example.com");
  });

  it("says where a bad entry is and what is allowed", async () => {
    await expect(load("notify:\n  - on: [failed]\n    email: {to: [ops@example.com]}\n")).rejects.toThrow(
      /gantry\.yaml:2:10: notify\.0\.on\.0: 'failed' is not allowed; allowed values: "started", "success", "failure"/,
    );
    await expect(load("environments:\n  - {name: a}\n  - {name: a}\n")).rejects.toThrow(
      "environments[1].name: 'a' is used by another environment",
    );
    await expect(load("environments:\n  - {name: a, wait: soon}\n")).rejects.toThrow(/gantry\.yaml:2:.*wait/);
    await expect(load("environments:\n  - {name: a, allow_self: yes}\n")).rejects.toThrow(
      /gantry\.yaml:2:.*allow_self/,
    );
  });
});
