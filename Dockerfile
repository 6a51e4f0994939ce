# temporal-agents worker image.
#   docker build -t temporal-agents-worker .
#   docker run --rm -e TEMPORAL_ADDRESS=host.docker.internal:7233 temporal-agents-worker
# Debian (glibc) rather than Alpine: the Temporal core-bridge and @swc/core
# ship prebuilt glibc binaries.
# Build stage: all dependencies (TypeScript, tsx), then `npm run build`: the
# compiled worker in build/ and the prebuilt workflow bundle in dist/.
FROM node:20.19.5-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

FROM node:20.19.5-bookworm-slim

ENV NODE_ENV=production \
    METRICS_PORT=9464 \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false

WORKDIR /app
RUN chown node:node /app

# The node image's unprivileged user (uid 1000).
USER node

# Runtime dependencies only (no tsx, no TypeScript): the image runs compiled
# JavaScript. Dependencies first so source edits reuse this layer.
COPY --chown=node:node package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit \
 && npm cache clean --force

# Compiled worker and CLI (bin/agentctl.js runs build/ when there are no
# sources), and the prebuilt workflow bundle (dist/workflow-bundle.js): the
# worker starts in about a second instead of running webpack on every start.
COPY --from=build --chown=node:node /app/build ./build
COPY --from=build --chown=node:node /app/dist/workflow-bundle.js ./dist/workflow-bundle.js
COPY --chown=node:node bin ./bin

# Blob store for large payloads (AGENT_BLOB_DIR's default); created here so a
# named volume mounted on it starts out owned by the node user.
RUN mkdir -p .data/blobs

# Prometheus /metrics, /healthz, /readyz.
EXPOSE 9464

HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=4 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.METRICS_PORT||9464)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]

# Node itself as the one process, no wrapper: SIGTERM from `docker stop`
# reaches the Temporal worker directly and it shuts down gracefully (finishing
# in-flight activities) within stop_grace_period.
CMD ["node", "build/worker/main.js"]
