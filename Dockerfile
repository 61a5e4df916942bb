# syntax=docker/dockerfile:1
# Multi-stage: build with dev dependencies, run with production dependencies only, as non-root.
# Node 24 LTS (Node 20 reached end of life in April 2026); .ci/run runs the suite on 24 as well
# as on the build machines' 20.

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json codegen.yml ./
COPY schema ./schema
COPY resolvers ./resolvers
COPY src ./src
RUN npm run build

FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node:24-bookworm-slim
ENV NODE_ENV=production PORT=4000
WORKDIR /app
COPY --from=deps --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --chown=node:node package.json ./
COPY --chown=node:node schema ./schema
USER node
EXPOSE 4000
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||4000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# A larger young generation: a gateway's items live for the few milliseconds a lane holds them,
# which with the default (16 MiB semi-spaces) get copied and promoted by every scavenge. The
# benchmark runs the gateway with these same flags (bench/lib/nodeFlags.ts reads them here).
CMD ["node", "--max-semi-space-size=64", "dist/src/main.js"]
