#!/usr/bin/env bash
# `npm start`: the whole system on this machine. Starts Kafka, Redis and
# PostgreSQL (natively, on loopback), builds, migrates, then runs the queue
# gateway, the admitter and the coupon service in one terminal with prefixed
# logs. Ctrl-C stops the apps (the services keep running: `npm run services:down`).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
. scripts/prepare.sh
prepare --migrate

GW="http://${GATEWAY_HOST:-127.0.0.1}:${GATEWAY_PORT:-3000}"
announce() {
  for _ in $(seq 1 120); do
    if curl -fsS "$GW/health/ready" >/dev/null 2>&1; then
      cat <<MSG

  Waiting room is up.
    Waiting page     $GW/            (open it in a browser; A0001's line: $GW/lines/A0001)
    Gateway API      $GW/api/coupons
    API docs         $GW/docs
    Health           $GW/health/ready   (liveness: $GW/health/live)
    Metrics          $GW/metrics
    Admitter health  http://127.0.0.1:${ADMITTER_HTTP_PORT:-3002}/health/ready
    Coupon service   tcp://${COUPON_SERVICE_HOST:-127.0.0.1}:${COUPON_SERVICE_PORT:-3001}  (health http://127.0.0.1:${COUPON_SERVICE_HTTP_PORT:-3003}/health/ready)
  Try:  curl -i -X POST $GW/api/coupons/A0001/issue -H 'content-type: application/json' -d '{"userId":"alice"}'
  Ctrl-C stops the apps.

MSG
      return
    fi
    sleep 0.5
  done
  echo "[start] the gateway did not become ready within 60 s; see the logs above" >&2
}
announce &

exec npx concurrently --kill-others --names coupon,admitter,gateway --prefix-colors blue,magenta,green \
  "node dist/apps/coupon-service/src/main.js" \
  "node dist/apps/admitter/src/main.js" \
  "node dist/apps/queue-gateway/src/main.js"
