# Switchboard: the `switchboard` command (service, emulator, listen, ...) in a container.
#   docker build -t switchboard .
#   docker run --rm -v "$PWD/switchboard.yaml:/etc/switchboard/switchboard.yaml:ro" -p 127.0.0.1:8080:8080 switchboard
# (the config binds server.host 0.0.0.0 with a server.token to be reachable from outside the container).
# See docs/deploying.md.

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# better-sqlite3 is a native addon: it is compiled here when no prebuilt binary matches.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
# Owned by root and read-only to the service: only the state directory is writable.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY definitions ./definitions
COPY web ./web
COPY examples ./examples
# /etc/switchboard: where the config is mounted. /var/lib/switchboard: a SQLite store, spill and file sinks
# when no PostgreSQL is used (mount a volume there).
RUN mkdir -p /etc/switchboard /var/lib/switchboard && chown node:node /var/lib/switchboard
USER node
EXPOSE 8080
# Liveness: /healthz answers 200 without a token as soon as the server listens (readiness is /readyz).
# No curl in slim images, so node asks. The port is the service's default (server.port 8080).
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/healthz',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "dist/cli/bin.js"]
CMD ["run", "--config", "/etc/switchboard/switchboard.yaml"]
