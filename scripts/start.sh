#!/usr/bin/env bash
# `npm start`: the whole system on this machine, from a fresh clone. Installs the
# node modules if they are missing or behind package-lock.json, starts Kafka,
# Redis and PostgreSQL (natively, on loopback), builds, migrates, then runs the
# queue gateway, the admitter and the coupon service in one terminal: each line
# prefixed with the app's coloured name and made readable, one line each (the
# apps write JSON lines; libs/common/src/pretty-logs.ts turns them into text).
# An app that stops is started again, with a message, and the others keep
# running. Ctrl-C stops the apps (the services keep running: `npm run services:down`).
# Log level: LOG_LEVEL (.env) for every app; GATEWAY_LOG_LEVEL, ADMITTER_LOG_LEVEL,
# COUPON_SERVICE_LOG_LEVEL for one of them (e.g. ADMITTER_LOG_LEVEL=debug npm start).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# `start.sh --app NAME`, what concurrently runs for each app: runs the app with
# its log level, its output (and this function's) through pretty-logs, and
# starts it again whenever it stops, 1 s later, the wait doubling up to 30 s
# while it keeps stopping within a minute. A signal (Ctrl-C reaches the whole
# process group; concurrently passes on the one it gets) stops it for good.
run_app() {
  local app level
  case "$1" in
    gateway) app=queue-gateway level="${GATEWAY_LOG_LEVEL:-}" ;;
    admitter) app=admitter level="${ADMITTER_LOG_LEVEL:-}" ;;
    coupon) app=coupon-service level="${COUPON_SERVICE_LOG_LEVEL:-}" ;;
    *) echo "[start] unknown app: $1" >&2; return 2 ;;
  esac
  export LOG_LEVEL="${level:-${LOG_LEVEL:-info}}"
  exec > >(exec node dist/libs/common/src/pretty-logs.js) 2>&1

  local child="" stopping="" status started ran delay=1 how nap
  trap 'stopping=1; [ -z "$child" ] || kill -TERM "$child" 2>/dev/null || true' INT TERM HUP
  while :; do
    started=$SECONDS
    node "dist/apps/$app/src/main.js" &
    child=$!
    status=0
    # (2>/dev/null: without bash's own "Killed" line; the notice below says it.)
    wait "$child" 2>/dev/null || status=$?
    # Interrupted by a signal: the app is shutting down; wait until it has.
    while [ -n "$stopping" ] && kill -0 "$child" 2>/dev/null; do wait "$child" 2>/dev/null || true; done
    [ -z "$stopping" ] || return 0
    ran=$((SECONDS - started))
    if [ "$ran" -ge 60 ]; then delay=1; fi
    if [ "$status" -gt 128 ]; then how="killed by SIG$(kill -l "$((status - 128))")"; else how="exit code $status"; fi
    notice "[start] $app stopped ($how) after $ran s; starting it again in $delay s"
    sleep "$delay" &
    nap=$!
    wait "$nap" || true
    if [ -n "$stopping" ]; then
      kill "$nap" 2>/dev/null || true
      return 0
    fi
    delay=$((delay * 2 > 30 ? 30 : delay * 2))
  done
}

# A line that stands out (yellow) where concurrently shows colours.
notice() {
  if [ "${FORCE_COLOR:-0}" != 0 ]; then printf '\033[33m%s\033[0m\n' "$*"; else printf '%s\n' "$*"; fi
}

if [ "${1:-}" = --app ]; then
  run_app "$2"
  exit
fi

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
  An app that stops is started again. Ctrl-C stops the apps.

MSG
      return
    fi
    sleep 0.5
  done
  echo "[start] the gateway did not become ready within 60 s; see the logs above" >&2
}
announce &

exec npx concurrently --names coupon,admitter,gateway --prefix-colors blue,magenta,green \
  "exec bash scripts/start.sh --app coupon" \
  "exec bash scripts/start.sh --app admitter" \
  "exec bash scripts/start.sh --app gateway"
