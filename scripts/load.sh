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
# The pre-queue drill: `PREQUEUE=1 npm run load` (or scripts/load.sh --prequeue).
# Schedules a line OPENS_IN seconds ahead with a pre-queue, lets a crowd of USERS
# bots (the PrequeueCrowd persona only) join before the opening, wait through the
# draw and be served, then runs `npm run audit:draw` and `npm run audit` on the
# line; it stops by itself once every bot is done.
#   PREQUEUE_LINE  the line (default: the first catalogue line never scheduled, with stock)
#   OPENS_IN       seconds from now to the opening (default 120)
#   USERS / SPAWN_RATE / ADMISSION_RATE  drill defaults 50 / USERS / 10
#   RUN_TIME       default OPENS_IN + MAX_JOURNEY_S + 30 s (the crowd stops before)
#
# Variables already set in the environment win over .env.
# Writes reports/locust-<stamp>.html, reports/locust-<stamp>_*.csv and
# reports/locust-<stamp>-invariants.json. Exit code: 0 fine, 1 too many failed
# requests (the drill: also a bot that joined late or got no defined outcome),
# 3 an invariant broke (see locust/README.md; the drill: also an audit found a
# violation), 2 setup problem.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

UI=0
PREQUEUE="${PREQUEUE:-0}"
while [ $# -gt 0 ]; do
  case "$1" in
    --ui) UI=1; shift;;
    --prequeue) PREQUEUE=1; shift;;
    *) break;;
  esac
done

say() { printf '[load] %s\n' "$*"; }
die() { printf '[load] ERROR: %s\n' "$*" >&2; exit 2; }

# .env, without overriding what the caller set (GATEWAY_PORT=3100 npm run load).
if [ -f .env ]; then
  declare -A caller=()
  for key in $(grep -oE '^[A-Za-z_][A-Za-z0-9_]*=' .env | tr -d =); do
    if [ -n "${!key+x}" ]; then caller[$key]="${!key}"; fi
  done
  set -a; . ./.env; set +a
  for key in "${!caller[@]}"; do export "$key=${caller[$key]}"; done
fi

HOST="${HOST:-http://127.0.0.1:${GATEWAY_PORT:-3000}}"
MAX_JOURNEY_S="${MAX_JOURNEY_S:-90}"
if [ "$PREQUEUE" = 1 ]; then
  [ "$UI" = 0 ] || die "the pre-queue drill runs headless only (its bots keep to the line's opening)"
  OPENS_IN="${OPENS_IN:-120}"
  USERS="${USERS:-50}"
  SPAWN_RATE="${SPAWN_RATE:-$USERS}"
  ADMISSION_RATE="${ADMISSION_RATE:-10}"
  [[ "$OPENS_IN" =~ ^[0-9]+$ ]] && [ "$OPENS_IN" -ge 10 ] || die "OPENS_IN=$OPENS_IN: whole seconds, at least 10 (the crowd joins before the opening)"
  [[ "$USERS" =~ ^[0-9]+$ ]] && [ "$USERS" -ge 1 ] || die "USERS=$USERS is not a positive number"
  [[ "$MAX_JOURNEY_S" =~ ^[0-9]+$ ]] || die "MAX_JOURNEY_S=$MAX_JOURNEY_S: whole seconds in the drill"
  # every bot starts within OPENS_IN/2 s (it then joins at a random moment before the opening)
  awk -v u="$USERS" -v r="$SPAWN_RATE" -v o="$OPENS_IN" 'BEGIN { exit !(r > 0 && u / r <= o / 2) }' ||
    die "USERS=$USERS at SPAWN_RATE=$SPAWN_RATE take longer than OPENS_IN/2 = $((OPENS_IN / 2)) s to start: raise SPAWN_RATE or OPENS_IN"
  RUN_TIME="${RUN_TIME:-$((OPENS_IN + MAX_JOURNEY_S + 30))s}"
fi
USERS="${USERS:-20}"
SPAWN_RATE="${SPAWN_RATE:-10}"
RUN_TIME="${RUN_TIME:-30s}"
LINES="${LINES:-C0001}"
ADMISSION_RATE="${ADMISSION_RATE:-500}"
WORKERS="${WORKERS:-0}"
VENV="$ROOT/.local/venv"
REPORTS="$ROOT/reports"

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

# ---- the drill: a line scheduled OPENS_IN s ahead, with a pre-queue -------------
if [ "$PREQUEUE" = 1 ]; then
  PREQUEUE_LINE="$(HOST="$HOST" USERS="$USERS" OPENS_IN="$OPENS_IN" ADMISSION_RATE="$ADMISSION_RATE" \
    PREQUEUE_LINE="${PREQUEUE_LINE:-}" "$VENV/bin/python" locust/drill.py schedule | tail -n 1)" || true
  [ -n "$PREQUEUE_LINE" ] || die "no line scheduled for the drill (see above)"
  LINES="$PREQUEUE_LINE"
  export PREQUEUE PREQUEUE_LINE MAX_JOURNEY_S
  set -- "$@" PrequeueCrowd  # only the crowd: the other personas stay out of the drill
  say "crowd: $USERS bots (+$SPAWN_RATE/s) join $PREQUEUE_LINE's pre-queue before it opens, wait through the draw and are served; the run stops once all are done (at most $RUN_TIME)"
# ---- admit people quickly enough for a short run to mean something -------------
elif [ "$ADMISSION_RATE" != 0 ]; then
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

# ---- the drill: the draw re-run from Kafka, then the fairness audit of the line ----
if [ "$PREQUEUE" = 1 ]; then
  set +e
  "$VENV/bin/python" locust/drill.py audit "$PREQUEUE_LINE"
  audited=$?
  set -e
  if [ "$audited" = 3 ]; then
    code=3
  elif [ "$code" = 0 ] && [ "$audited" != 0 ]; then
    code="$audited"
  fi
fi
case "$code" in
  0) if [ "$PREQUEUE" = 1 ]; then
       say "pre-queue drill on $PREQUEUE_LINE passed: the crowd joined before the opening, one place each, the published seed reproduced the draw, audit:draw OK, nobody admitted out of order or twice"
     else
       say "invariants held"
     fi;;
  3) say "FAILED: an invariant broke (see the summary above)";;
  124|137) say "FAILED: Locust did not stop within ${hard_stop}s";;
  *) say "FAILED: exit code $code (1 = failure ratio above MAX_FAIL_RATIO)";;
esac
exit "$code"
