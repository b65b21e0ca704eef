# syntax=docker/dockerfile:1
# One image for the three apps and the migration; the command picks which runs:
#   node dist/apps/queue-gateway/src/main.js     (HTTP 3000, the default)
#   node dist/apps/admitter/src/main.js          (HTTP 3002: health, metrics)
#   node dist/apps/coupon-service/src/main.js    (TCP 3001 + HTTP 3003)
#   node dist/apps/coupon-service/src/migrate.js (one-shot migration)
ARG NODE_IMAGE=node:22-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# Dependencies first, so a source change reuses the npm ci layer.
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY libs ./libs
COPY apps ./apps
COPY scripts/build-web.mjs ./scripts/
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    GATEWAY_HOST=0.0.0.0 \
    NODE_OPTIONS=--enable-source-maps
WORKDIR /app
# Root owns the files and the app runs as `node` (uid 1000): the code is read-only to it,
# which also lets Kubernetes run the container with readOnlyRootFilesystem.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
USER 1000:1000
EXPOSE 3000 3001 3002 3003
# Exec form: node is PID 1 and gets SIGTERM directly (compose adds an init with `init: true`).
CMD ["node", "dist/apps/queue-gateway/src/main.js"]
