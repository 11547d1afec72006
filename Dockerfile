# One image for the four services, the ops console and the billing-system simulator; docker-compose.yml
# picks the entry point per service. Stages:
#   compiled all dependencies (dev included), the Prisma clients, the services and the console's web
#            front end built.
#   build    compiled plus scripts/ and tools/: the compose file's one-shot jobs (migrations, Kafka
#            principals and topics, the identity provider's realm) run in this image (`target: build`):
#            they need the Prisma CLI, ts-node and the workspace sources.
#   runtime  (the last stage, what `docker build .` gives) node, the production dependencies and the
#            built code only; non-root user node; a HEALTHCHECK on the service's readiness.
# Node 24 LTS (node:24-bookworm-slim; scripts/images.sh builds it locally where no registry answers).
FROM node:24-bookworm-slim AS compiled
WORKDIR /app
# Where the npm registry is reached through a TLS-inspecting proxy, its CA (PEM text) for npm, e.g.
#   docker build --build-arg NPM_EXTRA_CA="$(cat /usr/local/share/ca-certificates/*.crt)" .
# (scripts/compose-smoke.sh passes it when the host has one). Empty elsewhere: nothing is needed. Used
# in this stage only (a CA is no secret, but the runtime image has no copy of it).
ARG NPM_EXTRA_CA=""
ENV NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false
COPY package.json package-lock.json ./
# --ignore-scripts: no install script is needed (Prisma's engines are not used: the clients use
# engineType "client" and the migrations Prisma's WebAssembly engine, scripts/prisma.mjs), and
# @prisma/engines' would try to download a binary.
RUN if [ -n "$NPM_EXTRA_CA" ]; then printf '%s\n' "$NPM_EXTRA_CA" >/tmp/npm-extra-ca.pem; export NODE_EXTRA_CA_CERTS=/tmp/npm-extra-ca.pem; fi \
 && npm ci --no-audit --no-fund --ignore-scripts \
 && rm -rf /tmp/npm-extra-ca.pem /root/.npm
# What the build reads, and only that: an edit elsewhere (scripts, docs, compose file) keeps this
# stage's layers cached.
COPY nx.json tsconfig.base.json ./
COPY scripts/prisma.mjs scripts/
COPY scripts/lib/ scripts/lib/
COPY prisma/ prisma/
COPY libs/ libs/
COPY services/ services/
RUN npx nx run-many -t build -p accession scanner-events qc billing ops-console ops-console-web --outputStyle=static

# The production dependencies: the compiled stage's node_modules without the devDependencies (no second
# download). --omit=optional also drops what npm marks devOptional: the Prisma CLI, TypeScript and
# their trees (optional peers of @prisma/client, which the generated clients do not load; the
# migrations run in the build stage) and gRPC (an optional peer of @nestjs/terminus, unused).
FROM compiled AS prod-deps
RUN npm prune --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund

# The compose file's one-shot jobs: the compiled workspace with the scripts and tools they run.
FROM compiled AS build
COPY scripts/ scripts/
COPY tools/ tools/

FROM node:24-bookworm-slim AS runtime
WORKDIR /app
# HOST=0.0.0.0: in a container the services must listen on every interface (the container's own) to be
# reached through the compose network and published ports; outside a container they default to 127.0.0.1.
ENV NODE_ENV=production HOST=0.0.0.0
# Heap cap and young generation: docs/operations.md, "Memory" (RSS under 250 MB per service at the end of
# a burst; on Node 24 without the semi-space cap the young generation outgrew the old space's room and
# every collection became a full one: billing stayed at 100% CPU after a burst).
ENV NODE_OPTIONS="--max-old-space-size=160 --max-semi-space-size=16" MALLOC_ARENA_MAX=2
COPY --from=prod-deps /app/package.json /app/package-lock.json ./
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=compiled /app/dist ./dist
# The billing-system simulator (MLLP, DFT^P03) for compose's demo.
COPY scripts/billing-system-sim.mjs ./scripts/
# The example fee schedule the console estimates values with (OPS_CONSOLE_FEE_SCHEDULE_FILE in compose).
COPY ops/fee-schedule.example.json ./ops/
USER node
# Each service listens on PORT (compose sets it; 3001 is accession's, the default command); ready when
# /health/ready answers 200 (database, Kafka, the identity provider's keys). The simulator has no HTTP
# port: compose disables this check for it.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT || 3001}/health/ready`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/services/accession/services/accession/src/main.js"]
