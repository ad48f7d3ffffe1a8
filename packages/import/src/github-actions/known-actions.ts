import type { GithubFeature } from "./features.js";

type Obj = Record<string, unknown>;

/** An action a step uses, by what a job of Gantry can do with it today. */
export type ActionKind =
  | { kind: "checkout" }
  | { kind: "setup"; image?: string; problem?: string; cache?: string }
  | { kind: "blocked"; feature: GithubFeature; detail: string };

/** owner/repo of `uses: owner/repo[/path]@ref`, lower case. */
export function actionName(uses: string): string {
  return uses.split("@")[0]?.toLowerCase() ?? "";
}

const SETUP_IMAGES: Record<
  string,
  { input: string; image: (version: string, w: Obj) => string | undefined }
> = {
  "actions/setup-node": {
    input: "node-version",
    image: (v) =>
      v === "lts/*" || v === "lts" ? "node:lts" : /^\d+(\.\d+){0,2}$/.test(v) ? `node:${v}` : undefined,
  },
  "actions/setup-python": {
    input: "python-version",
    image: (v) => (/^3(\.\d+){0,2}$/.test(v) ? `python:${v}` : v === "3.x" ? "python:3" : undefined),
  },
  "actions/setup-go": {
    input: "go-version",
    image: (v) =>
      v === "stable" ? "golang:latest" : /^\d+\.\d+(\.\d+)?$/.test(v) ? `golang:${v}` : undefined,
  },
  "actions/setup-java": {
    input: "java-version",
    image: (v, w) => {
      if (!/^\d+$/.test(v)) return undefined;
      const distribution = String(w.distribution ?? "temurin");
      const images: Record<string, string> = {
        temurin: `eclipse-temurin:${v}`,
        zulu: `azul/zulu-openjdk:${v}`,
        corretto: `amazoncorretto:${v}`,
        microsoft: `mcr.microsoft.com/openjdk/jdk:${v}-ubuntu`,
      };
      return images[distribution];
    },
  },
  "ruby/setup-ruby": {
    input: "ruby-version",
    image: (v) => (/^\d+(\.\d+){0,2}$/.test(v) ? `ruby:${v}` : undefined),
  },
  "actions/setup-dotnet": {
    input: "dotnet-version",
    image: (v) => {
      const m = /^(\d+\.\d+)(\.x|\.\d+)?$/.exec(v);
      return m ? `mcr.microsoft.com/dotnet/sdk:${m[1]}` : undefined;
    },
  },
};

/** What a `uses:` step of a job is, for a job that is to become one node today. */
export function classifyAction(uses: string, w: Obj): ActionKind {
  if (uses.startsWith("docker://"))
    return { kind: "blocked", feature: "third-party-action", detail: `${uses} (a container step)` };
  if (uses.startsWith("./") || uses.startsWith("../"))
    return { kind: "blocked", feature: "local-action", detail: uses };
  const name = actionName(uses);
  if (name === "actions/checkout") return { kind: "checkout" };
  if (name === "actions/cache" || name.startsWith("actions/cache/"))
    return { kind: "blocked", feature: "cache", detail: uses };
  if (name === "actions/upload-artifact" || name === "actions/download-artifact") {
    return { kind: "blocked", feature: "artifacts", detail: uses };
  }
  const setup = SETUP_IMAGES[name];
  if (setup) {
    const raw = w[setup.input];
    const cache = w.cache !== undefined && w.cache !== false && w.cache !== "" ? String(w.cache) : undefined;
    const version = typeof raw === "string" || typeof raw === "number" ? String(raw).trim() : undefined;
    if (version === undefined || version.includes("${{") || version.includes("\n")) {
      const why =
        version === undefined
          ? `no ${setup.input} (a version file or the default)`
          : `${setup.input}: ${version}`;
      return { kind: "setup", problem: `${name}: ${why}`, ...(cache ? { cache } : {}) };
    }
    const image = setup.image(version.replace(/\.x$/, ""), w) ?? setup.image(version, w);
    return image
      ? { kind: "setup", image, ...(cache ? { cache } : {}) }
      : {
          kind: "setup",
          problem: `${name}: no official image for ${setup.input} ${version}`,
          ...(cache ? { cache } : {}),
        };
  }
  return { kind: "blocked", feature: "third-party-action", detail: uses };
}

export interface CheckoutWith {
  with: Obj;
  /** git commands the script runs first (submodules, lfs). */
  prelude: string[];
  /** Options that change nothing in Gantry: for the report. */
  dropped: string[];
  keepsCredentials: boolean;
}

/** actions/checkout's inputs as gantry/checkout's. */
export function checkoutInputs(w: Obj): CheckoutWith {
  const out: Obj = {};
  const prelude: string[] = [];
  const dropped: string[] = [];
  for (const [key, value] of Object.entries(w)) {
    switch (key) {
      case "fetch-depth":
        out.depth = Number(value);
        break;
      case "ref":
        out.ref = value;
        break;
      case "path":
        out.path = value;
        break;
      case "token":
        out.token = value;
        break;
      case "ssh-key":
        out.ssh_key = value;
        break;
      case "repository":
        out.repository =
          typeof value === "string" && /^[\w.-]+\/[\w.-]+$/.test(value)
            ? `https://github.com/${value}.git`
            : value;
        break;
      case "submodules":
        if (value === true || value === "true") prelude.push("git submodule update --init");
        else if (value === "recursive") prelude.push("git submodule update --init --recursive");
        break;
      case "lfs":
        if (value === true || value === "true") prelude.push("git lfs pull");
        break;
      case "persist-credentials":
        break;
      default:
        dropped.push(key);
    }
  }
  const persist = w["persist-credentials"];
  return { with: out, prelude, dropped, keepsCredentials: persist !== false && persist !== "false" };
}
