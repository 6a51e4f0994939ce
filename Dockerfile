# temporal-agents worker image.
#   docker build -t temporal-agents-worker .
#   docker run --rm -e TEMPORAL_ADDRESS=host.docker.internal:7233 temporal-agents-worker
# Debian (glibc) rather than Alpine: the Temporal core-bridge and @swc/core
# ship prebuilt glibc binaries.
FROM node:20.19.5-bookworm-slim

ENV NODE_ENV=production \
    METRICS_PORT=9464 \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false

WORKDIR /app
RUN chown node:node /app

# The node image's unprivileged user (uid 1000).
USER node

# Dependencies first so source edits reuse this layer. Runtime deps only:
# tsx (the TypeScript runner) is a regular dependency.
COPY --chown=node:node package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit \
 && npm cache clean --force

COPY --chown=node:node . .

# Blob store for large payloads (AGENT_BLOB_DIR's default); created here so a
# named volume mounted on it starts out owned by the node user.
RUN mkdir -p .data/blobs

# Prebuilt workflow bundle (dist/workflow-bundle.js): the worker starts in
# about a second instead of running webpack on every start.
RUN npx tsx scripts/build-workflow-bundle.ts

# Prometheus /metrics, /healthz, /readyz.
EXPOSE 9464

HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=4 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.METRICS_PORT||9464)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]

# Same as `npx tsx worker/main.ts`, but as one process: tsx is loaded as a
# Node loader instead of a wrapper that spawns a child, so SIGTERM from
# `docker stop` reaches the Temporal worker directly and it shuts down
# gracefully (finishing in-flight activities) within stop_grace_period.
CMD ["node", "--import", "tsx", "worker/main.ts"]
