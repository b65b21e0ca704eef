#!/usr/bin/env bash
# Runs the three apps in the background (for CI's Locust swarm and for scripts):
#   scripts/stack.sh up     services up, build, migrate, start the apps, wait for readiness
#   scripts/stack.sh down   stop the apps this script started
# Logs: .local/logs/{coupon,admitter,gateway}.log. `npm start` is the interactive way.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
RUN="$ROOT/.local/run"; LOGS="$ROOT/.local/logs"
mkdir -p "$RUN" "$LOGS"
. scripts/prepare.sh
APPS=(coupon:coupon-service admitter:admitter gateway:queue-gateway)

down() {
  for entry in "${APPS[@]}"; do
    name="${entry%%:*}"; pidfile="$RUN/app-$name.pid"
    [ -f "$pidfile" ] || continue
    pid="$(cat "$pidfile")"
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid"
      for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
  done
}

wait_ready() {
  local name="$1" url="$2"
  for _ in $(seq 1 120); do
    curl -fsS -m 2 "$url" >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  tail -n 40 "$LOGS/$name.log" >&2
  echo "[stack] $name did not become ready at $url (log: $LOGS/$name.log)" >&2
  return 1
}

up() {
  prepare --migrate
  down
  for entry in "${APPS[@]}"; do
    name="${entry%%:*}"; app="${entry#*:}"
    nohup node "dist/apps/$app/src/main.js" >"$LOGS/$name.log" 2>&1 </dev/null &
    echo $! >"$RUN/app-$name.pid"
  done
  wait_ready coupon "http://127.0.0.1:${COUPON_SERVICE_HTTP_PORT:-3003}/health/ready"
  wait_ready admitter "http://127.0.0.1:${ADMITTER_HTTP_PORT:-3002}/health/ready"
  wait_ready gateway "http://${GATEWAY_HOST:-127.0.0.1}:${GATEWAY_PORT:-3000}/health/ready"
  echo "[stack] up: gateway http://${GATEWAY_HOST:-127.0.0.1}:${GATEWAY_PORT:-3000}"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
