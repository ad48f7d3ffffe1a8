import path from "node:path";
import { describe, expect, it } from "vitest";
import { gantryYamlFolder } from "../testing/gantry-yaml.js";

describe("gantry.yaml sources", () => {
  const folder = gantryYamlFolder();
  const load = folder.load;

  it("reads sources with defaults, keeping secret references for each use", async () => {
    const config = await load(`sources:
  - name: app
    url: https://github.com/acme/app.git
    ref: release
    path: .gantry
    interval: 5m
    credentials: {token: ref+env://GIT_TOKEN}
    github: {repository: acme/app, secret: ref+env://GITHUB_WEBHOOK_SECRET}
  - name: local
    url: ./repo
`);
    expect(config.sources).toEqual([
      {
        name: "app",
        url: "https://github.com/acme/app.git",
        ref: "release",
        path: ".gantry",
        intervalMs: 300_000,
        credentials: { token: "ref+env://GIT_TOKEN" },
        github: { repository: "acme/app", secret: "ref+env://GITHUB_WEBHOOK_SECRET" },
      },
      { name: "local", url: path.join(folder.dir, "repo"), ref: "main", path: "", intervalMs: 60_000 },
    ]);
    expect(config.configDir).toBe(folder.dir);
  });

  it("names the key of a bad source", async () => {
    await expect(load("sources:\n  - name: app\n    url: x\n    interval: soon\n")).rejects.toThrow(
      /gantry\.yaml:4:15: .*interval/,
    );
    await expect(load("sources:\n  - {name: a, url: x, github: {repository: acme}}\n")).rejects.toThrow(
      /gantry\.yaml:2:.*secret/,
    );
    await expect(load("sources:\n  - {name: a, url: x}\n  - {name: a, url: y}\n")).rejects.toThrow(
      "sources[1].name: 'a' is used by another source",
    );
  });

  it("reads how results are reported on GitHub, and where the run pages are", async () => {
    const config = await load(`server: {public_url: "https://gantry.example.com"}
sources:
  - name: app
    url: https://github.com/acme/app.git
    github: {repository: acme/app, secret: ref+env://S, token: ref+env://GH_TOKEN}
  - name: ghe
    url: https://ghe.example.com/acme/app.git
    github:
      repository: acme/app
      secret: ref+env://S
      api_url: https://ghe.example.com/api/v3
      app: {app_id: 42, private_key: ref+file://app.pem, installation_id: 7}
`);
    expect(config.server.publicUrl).toBe("https://gantry.example.com");
    expect(config.sources.map((s) => s.github)).toEqual([
      { repository: "acme/app", secret: "ref+env://S", token: "ref+env://GH_TOKEN" },
      {
        repository: "acme/app",
        secret: "ref+env://S",
        api_url: "https://ghe.example.com/api/v3",
        app: { app_id: 42, private_key: "ref+file://app.pem", installation_id: 7 },
      },
    ]);
    await expect(
      load("sources:\n  - {name: a, url: x, github: {repository: a/b, secret: s, app: {app_id: 1}}}\n"),
    ).rejects.toThrow(/private_key/);
    await expect(load('server: {public_url: "gantry.example.com"}\n')).rejects.toThrow(/public_url/);
  });
});
