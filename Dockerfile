# syntax=docker/dockerfile:1
# Gantry's container image: one image for every role (`gantry up`, `server`, `worker`, `run`, `validate`).
#
#   docker build -t gantry .                                       # where Docker Hub can be reached
#   scripts/container-build.sh                                     # offline: a local base image, then this file
#   docker run --rm -p 8080:8080 gantry up --host 0.0.0.0 --insecure --dir /app/examples   # try it
#
# NODE_IMAGE is any Debian-based Node.js 22 or 24 image with npm; scripts/container-base.sh makes a stand-in
# for node:24-bookworm-slim from Debian's packages when no registry is reachable.
#
# The default is pinned by digest, so a rebuild gets the same base until someone moves the pin on purpose:
# the multi-architecture index of node:24-bookworm-slim (Node.js 24.19.0 on Debian 12, built 2026-08-25)
# as Docker Official Images published it, read from docker-library/repo-info
# (repos/node/remote/24-bookworm-slim.md at commit e2e97043fc3e24482c19623a66ea8fc74d2546e0). It was not
# pulled where this file was written (no registry reachable): check it with
# `docker buildx imagetools inspect node:24-bookworm-slim` before relying on it, and move it with each
# Node.js 24 release (Renovate and Dependabot update such pins).
ARG NODE_IMAGE=node:24-bookworm-slim@sha256:a9f5f7c91a432850b2a8a7797adf5eadb6c733ceed61167806cee7ea7fbc29df

# ---- build: install every dependency, compile TypeScript, bundle the CLI, build the UI --------------------
FROM ${NODE_IMAGE} AS build
# better-sqlite3 compiles from source when its prebuilt binary cannot be downloaded.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Manifests first: the dependency layer is reused for as long as no package.json or the lock changes.
COPY package.json package-lock.json ./
COPY packages/core/package.json packages/core/
COPY packages/import/package.json packages/import/
COPY packages/engine/package.json packages/engine/
COPY packages/server/package.json packages/server/
COPY packages/ui/package.json packages/ui/
COPY packages/cli/package.json packages/cli/
COPY packages/cli/bin packages/cli/bin
# --ignore-scripts: the root `prepare` builds, and the sources are not here yet; the two packages with
# install steps of their own are rebuilt explicitly.
RUN npm ci --ignore-scripts --no-audit --no-fund \
  && npm rebuild better-sqlite3 esbuild
COPY . .
# The UI's libraries are needed only to build it (its dist/ is static files): its manifest is emptied
# before pruning, which keeps about 150 MB of React and icons out of the image. better-sqlite3's
# SQLite sources and object files are not needed once its .node file is built.
RUN npm run build \
  && npm pkg delete dependencies devDependencies --workspace packages/ui \
  && npm prune --omit=dev --no-audit --no-fund \
  && rm -rf packages/*/src packages/*/tsconfig.json packages/ui/node_modules \
    node_modules/better-sqlite3/deps node_modules/better-sqlite3/src node_modules/better-sqlite3/build/Release/obj* \
    node_modules/better-sqlite3/build/Release/.deps node_modules/better-sqlite3/build/deps

# ---- runtime --------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
# git: git sources; python3: python steps of the local runner; tini: PID 1 that forwards signals, so a
# SIGTERM from Kubernetes or `docker stop` reaches gantry and running steps are cancelled cleanly.
RUN apt-get update \
  && apt-get install -y --no-install-recommends git openssh-client python3 tini ca-certificates \
  && rm -rf /var/lib/apt/lists/* \
  && groupadd --system --gid 10001 gantry \
  && useradd --system --uid 10001 --gid gantry --home-dir /var/lib/gantry --create-home --shell /bin/bash gantry
WORKDIR /app
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules node_modules
COPY --from=build /src/packages packages
COPY --from=build /src/schema schema
COPY --from=build /src/examples examples
# The examples name their actions from the repository's root (`uses: ./examples/actions/greet`), which
# Gantry finds by its .git entry; the image has the files without the history, so an empty one marks /app.
RUN mkdir /app/.git
RUN ln -s /app/packages/cli/bin/gantry.js /usr/local/bin/gantry

# Numeric user, so Kubernetes' runAsNonRoot can check it. Data (SQLite, caches, spool) lives in its home.
USER 10001:10001
WORKDIR /var/lib/gantry
ENV NODE_ENV=production \
  GANTRY_DATA=/var/lib/gantry \
  GANTRY_UI_DIR=/app/packages/ui/dist
EXPOSE 8080
# /healthz answers while the process serves: on the metrics port when GANTRY_METRICS_PORT sets one (a
# worker has no other), else on the API port. Kubernetes ignores this and uses the chart's probes.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.GANTRY_METRICS_PORT || process.env.GANTRY_PORT || 8080}/healthz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--", "gantry"]
# Listening beyond loopback needs authentication (auth: in gantry.yaml) or an explicit --insecure.
CMD ["up", "--host", "0.0.0.0", "--dir", "/app/examples"]
