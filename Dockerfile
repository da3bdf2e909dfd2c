# syntax=docker/dockerfile:1
# Parley's image: `docker build -t parley .` (or `docker compose up`, see compose.yaml).
# scripts/image-steps.sh runs the same steps without Docker (CI has no Docker engine).
ARG NODE_IMAGE=node:22-bookworm-slim

# --- build: every dependency, then `npm run build` (server in dist/, demo client in client-demo/dist/)
FROM ${NODE_IMAGE} AS build
# better-sqlite3 compiles from source when no prebuilt binary matches the platform.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: the project's own `prepare` (a build) waits for the sources below;
# `npm rebuild` then runs the dependencies' install scripts (native modules, esbuild).
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund --ignore-scripts && npm rebuild
COPY . .
ARG BUILD_COMMIT=""
RUN BUILD_COMMIT="${BUILD_COMMIT}" npm run build

# --- production dependencies only, installed where the compilers are
FROM build AS prod-deps
WORKDIR /prod
COPY package.json package-lock.json ./
# `prepare` finds no build tools here and does nothing (scripts/build-if-needed.mjs).
COPY scripts/build-if-needed.mjs scripts/build-state.mjs ./scripts/
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --no-audit --no-fund

# --- runtime: no compilers, no dev dependencies, no sources; runs as `node` (uid 1000)
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production PORT=3000
WORKDIR /app
COPY --from=prod-deps /prod/node_modules ./node_modules
COPY --from=build /src/package.json ./
COPY --from=build /src/dist ./dist
COPY --from=build /src/client-demo/dist ./client-demo/dist
# The only place Parley writes (SQLite file, mail outbox): a volume, so the root
# filesystem can be read-only (`docker run --read-only`, compose `read_only: true`).
RUN mkdir -p /app/data && chown node:node /app/data
VOLUME ["/app/data"]
USER node
EXPOSE 3000
# Liveness only (never the database): a dependency outage must not get containers restarted.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# node itself as PID 1 (not npm): it gets SIGTERM and drains (SHUTDOWN_GRACE, then sockets close).
CMD ["node", "dist/main.js"]
