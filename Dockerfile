# One image for the four services; docker-compose.yml picks the entry point per service.
# Not built on the project's own machines (they have no Docker engine): see README "Docker".
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npx nx run-many -t build -p accession scanner-events qc billing --outputStyle=static

FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production HOST=0.0.0.0
# Heap cap: docs/operations.md, "Memory" (RSS under 250 MB per service at the end of a burst).
ENV NODE_OPTIONS=--max-old-space-size=160 MALLOC_ARENA_MAX=2
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/prisma ./prisma
COPY --from=build /app/scripts ./scripts
USER node
