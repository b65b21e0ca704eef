#!/usr/bin/env bash
# `npm run load`: a headless Locust bot swarm against the running stack (it
# starts nothing but Locust; start the stack first with `npm start`).
# `npm run load:ui` (this script with --ui): Locust's web UI on 127.0.0.1:8089.
#
#   HOST        target gateway              (default http://127.0.0.1:$GATEWAY_PORT, i.e. :3000)
#   USERS       bots                        (default 20)
#   SPAWN_RATE  bots started per second     (default 10)
#   RUN_TIME    how long, Locust timespan   (default 30s)
#   LINES       coupon codes to queue for   (default C0001)
#   ADMISSION_RATE  admissions/s set on each line first via the admin API (default 500; 0 = leave as is)
#   WORKERS     >0: distributed mode on this machine, one master and N worker processes
#   Extra arguments go to locust as they are.
#
# Writes reports/locust-<stamp>.html, reports/locust-<stamp>_*.csv and
# reports/locust-<stamp>-invariants.json. Exit code: 0 fine, 1 too many failed
# requests, 3 an invariant broke (see locust/README.md), 2 setup problem.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

UI=0
if [ "${1:-}" = "--ui" ]; then UI=1; shift; fi
if [ -f .env ]; then set -a; . ./.env; set +a; fi

HOST="${HOST:-http://127.0.0.1:${GATEWAY_PORT:-3000}}"
USERS="${USERS:-20}"
SPAWN_RATE="${SPAWN_RATE:-10}"
RUN_TIME="${RUN_TIME:-30s}"
LINES="${LINES:-C0001}"
ADMISSION_RATE="${ADMISSION_RATE:-500}"
WORKERS="${WORKERS:-0}"
VENV="$ROOT/.local/venv"
REPORTS="$ROOT/reports"

say() { printf '[load] %s\n' "$*"; }
die() { printf '[load] ERROR: %s\n' "$*" >&2; exit 2; }

. "$ROOT/scripts/venv.sh"
# Load is only ever sent to this machine: a swarm aimed elsewhere is refused.
loopback_only "$HOST" LOAD_ALLOW_REMOTE

# ---- Locust, pinned, in a git-ignored virtualenv -----------------------------
ensure_venv locust .requirements.sha256 locust/requirements.txt

# ---- the stack must already run ------------------------------------------------
ready=0
for _ in $(seq 1 20); do
  if curl -fsS -m 2 "$HOST/health/ready" >/dev/null 2>&1; then ready=1; break; fi
  sleep 0.5
done
[ "$ready" = 1 ] || die "the gateway at $HOST is not ready (GET /health/ready); start the stack first: npm start"

# ---- admit people quickly enough for a short run to mean something -------------
if [ "$ADMISSION_RATE" != 0 ]; then
  [ -n "${ADMIN_TOKEN:-}" ] || die "ADMIN_TOKEN is not set (.env); needed to set the admission rate, or run with ADMISSION_RATE=0"
  for code in ${LINES//,/ }; do
    body="{\"ratePerSec\":$ADMISSION_RATE,\"burst\":$ADMISSION_RATE,\"maxActive\":0}"
    status="$(curl -sS -m 5 -o /dev/null -w '%{http_code}' -X PUT "$HOST/api/admin/lines/$code" \
      -H "Authorization: Bearer $ADMIN_TOKEN" -H 'content-type: application/json' -d "$body" || true)"
    if [ "${status:0:1}" = 2 ]; then
      say "line $code: admission rate set to $ADMISSION_RATE/s (burst $ADMISSION_RATE, no cap) via PUT /api/admin/lines/$code, so this short run admits people"
    else
      say "WARNING: could not set the admission rate of $code (HTTP $status); the line keeps its current rate"
    fi
  done
fi

mkdir -p "$REPORTS"
STAMP="$(date +%Y%m%d-%H%M%S)"
export LINES LOAD_REPORT_DIR="$REPORTS" LOAD_RUN_ID="${LOAD_RUN_ID:-$STAMP-$$}"
LOCUST=("$VENV/bin/locust" -f locust/locustfile.py --host "$HOST")

if [ "$UI" = 1 ]; then
  say "Locust web UI: http://127.0.0.1:${LOCUST_WEB_PORT:-8089} (Ctrl-C stops it)"
  exec "${LOCUST[@]}" --web-host 127.0.0.1 --web-port "${LOCUST_WEB_PORT:-8089}" -u "$USERS" -r "$SPAWN_RATE" "$@"
fi

# A hard stop well past RUN_TIME, should Locust itself hang.
run_seconds="$("$VENV/bin/python" -c "from locust.util.timespan import parse_timespan as p; print(p('$RUN_TIME'))")" \
  || die "RUN_TIME=$RUN_TIME is not a Locust timespan (20s, 1m30s, ...)"
hard_stop=$((run_seconds + 90))

HEADLESS=(--headless -u "$USERS" -r "$SPAWN_RATE" -t "$RUN_TIME" --stop-timeout 5 --only-summary
  --html "$REPORTS/locust-$STAMP.html" --csv "$REPORTS/locust-$STAMP")
say "swarm: $USERS bots (+$SPAWN_RATE/s) for $RUN_TIME against $HOST, lines $LINES, run id $LOAD_RUN_ID"

worker_pids=()
stop_workers() { for p in "${worker_pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap stop_workers EXIT
if [ "$WORKERS" -gt 0 ]; then
  port="${LOCUST_MASTER_PORT:-5557}"
  for i in $(seq 1 "$WORKERS"); do
    "$VENV/bin/locust" -f locust/locustfile.py --worker --master-host 127.0.0.1 --master-port "$port" \
      >"$REPORTS/locust-$STAMP-worker$i.log" 2>&1 &
    worker_pids+=("$!")
  done
  HEADLESS+=(--master --master-bind-host 127.0.0.1 --master-bind-port "$port" --expect-workers "$WORKERS")
fi

set +e
timeout --kill-after=10 "$hard_stop" "${LOCUST[@]}" "${HEADLESS[@]}" "$@"
code=$?
set -e
say "report: reports/locust-$STAMP.html, CSVs reports/locust-${STAMP}_*.csv, invariants reports/locust-$LOAD_RUN_ID-invariants.json"
case "$code" in
  0) say "invariants held";;
  3) say "FAILED: an invariant broke (see the summary above)";;
  124|137) say "FAILED: Locust did not stop within ${hard_stop}s";;
  *) say "FAILED: exit code $code (1 = failure ratio above MAX_FAIL_RATIO)";;
esac
exit "$code"
