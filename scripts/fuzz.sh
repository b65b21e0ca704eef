#!/usr/bin/env bash
# Fuzzes the queue gateway's HTTP API from its own OpenAPI document (GET /docs/openapi.json)
# with schemathesis: every operation, every check, a bounded number of generated requests
# per operation and a fixed seed. It fails on a 5xx and on any answer the document does
# not allow (undocumented status, body or header not matching the schema, a request the
# schema calls valid refused, an invalid one accepted, an admin route open without the
# token). Admin operations get `Authorization: Bearer $ADMIN_TOKEN` (.env). Ticket routes
# get a real X-Queue-Ticket only in the stateful phase, which follows the document's links
# from a 307 (the ticket in its body); otherwise a made-up one, which must be a documented 4xx.
#
#   scripts/fuzz.sh           against the running stack (CI runs it after the Locust swarm)
#   scripts/fuzz.sh --stack   `npm run fuzz`: starts the stack first when the gateway does
#                             not answer (scripts/stack.sh up) and stops it afterwards
#
#   HOST          target gateway                      (default http://127.0.0.1:$GATEWAY_PORT)
#   MAX_EXAMPLES  test cases per operation and phase  (default 200: about 35 s here)
#   SEED          generation seed                     (default 20250101)
#   WORKERS       concurrent schemathesis workers     (default 1, see below)
#   TIME_LIMIT    seconds before the run is stopped and fails (default 150)
#   Extra arguments go to `schemathesis run` as they are (e.g. --include-path-regex admin).
#
# It writes: queue tickets (and, once admitted, coupons) for made-up users in the real
# lines, and admin settings of lines (the catalogue's lines are put back afterwards).
# Point it at a stack you may disturb. Reports: reports/fuzz-<stamp>/junit.xml.
# Exit code: 0 clean, 1 failures found (or TIME_LIMIT hit), 2 setup problem.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

STACK=0
if [ "${1:-}" = "--stack" ]; then STACK=1; shift; fi
if [ -f .env ]; then set -a; . ./.env; set +a; fi

HOST="${HOST:-http://127.0.0.1:${GATEWAY_PORT:-3000}}"
MAX_EXAMPLES="${MAX_EXAMPLES:-200}"
SEED="${SEED:-20250101}"
WORKERS="${WORKERS:-1}"
TIME_LIMIT="${TIME_LIMIT:-150}"
VENV="$ROOT/.local/venv"
WORK="$ROOT/.local/fuzz"
REPORTS="$ROOT/reports"

say() { printf '[fuzz] %s\n' "$*"; }
die() { printf '[fuzz] ERROR: %s\n' "$*" >&2; exit 2; }

. "$ROOT/scripts/venv.sh"
# Admin writes and garbage are only ever sent to this machine.
loopback_only "$HOST" FUZZ_ALLOW_REMOTE

# ---- schemathesis, pinned, in the project's virtualenv (shared with Locust) -------
ensure_venv schemathesis .fuzz-requirements.sha256 locust/requirements.txt scripts/fuzz-requirements.txt

# ---- the gateway must answer (--stack: start it) -----------------------------------
ready() { curl -fsS -m 2 "$HOST/health/ready" >/dev/null 2>&1; }
if ! ready; then
  if [ "$STACK" = 1 ]; then
    say "the gateway at $HOST does not answer: starting the stack (scripts/stack.sh up), stopped again at exit"
    trap 'bash scripts/stack.sh down' EXIT
    bash scripts/stack.sh up || die "scripts/stack.sh up failed"
  fi
  ok=0
  for _ in $(seq 1 20); do
    if ready; then ok=1; break; fi
    sleep 0.5
  done
  [ "$ok" = 1 ] || die "the gateway at $HOST is not ready (GET /health/ready); start the stack first (npm start), or use npm run fuzz"
fi
curl -fsS -m 5 -o /dev/null "$HOST/docs/openapi.json" ||
  die "no OpenAPI document at $HOST/docs/openapi.json (SWAGGER_ENABLED=false?)"
[ -n "${ADMIN_TOKEN:-}" ] || die "ADMIN_TOKEN is not set (.env); the admin operations need it"
export ADMIN_TOKEN

# The token reaches schemathesis through the environment, not the command line: the
# config names it as ${ADMIN_TOKEN} for the document's `bearer` security scheme only.
# No cache and no example database, so a run never replays an earlier run's findings:
# it depends on the seed, the code and the state of the stack.
mkdir -p "$WORK" "$REPORTS"
export HYPOTHESIS_STORAGE_DIRECTORY="$WORK/hypothesis"
cat >"$WORK/schemathesis.toml" <<'EOF'
# Written by scripts/fuzz.sh on every run.
[cache]
enabled = false

[generation]
database = "none"

[auth.openapi.bearer]
bearer = "${ADMIN_TOKEN}"

# A valid request may meet a state that answers 410 Gone (SOLD_OUT, TICKET_CANCELLED, ...:
# documented on the operations); that is an outcome, not its data refused. The rest is
# schemathesis' default. (5xx are failed by not_a_server_error, not here.)
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "410", "429", "5xx"]

# Invalid data may be refused by Fastify before validation: 413 (body over 16 KiB) and
# 414 (path parameter over 100 characters), both documented. The rest is the default.
[checks.negative_data_rejection]
expected-statuses = ["400", "401", "403", "404", "405", "406", "409", "413", "414", "415", "422", "428", "429", "5xx"]

# An event stream lasts until the ticket's outcome, which a paused line (the fuzzer sets
# ratePerSec 0 on some) never reaches: read the first events, then hang up.
[[operations]]
include-operation-id = "TicketsController_stream"
max-stream-events = 2
request-timeout = 5
EOF

# ---- the admin operations change line settings: put the catalogue's lines back -----
# (Effective settings, through the admin API: a field that had no override before comes
# back as an override equal to the default. Settings hashes of the random line codes the
# fuzzer made up stay in Redis; they are harmless and nothing reads them. A line the run
# left scheduled for some random future time is opened now: its pre-queue is drawn at once.
# A line the run closed or drained is reopened in Redis: through the API an end is final.)
SNAPSHOT="$WORK/line-settings.json"
line_settings() {
  "$VENV/bin/python" - "$1" "$HOST" "$SNAPSHOT" <<'PY'
import datetime, json, os, subprocess, sys
import requests

action, host, path = sys.argv[1:4]
auth = {"Authorization": "Bearer " + os.environ["ADMIN_TOKEN"]}

def settings(code):
    r = requests.get(f"{host}/api/admin/lines/{code}", headers=auth, timeout=5)
    r.raise_for_status()
    return r.json()["settings"]

def open_if_scheduled(code):
    r = requests.get(f"{host}/api/lines/{code}/draw", timeout=5)
    if r.status_code == 200 and r.json().get("status") == "scheduled":
        now = datetime.datetime.now(datetime.timezone.utc).isoformat().replace("+00:00", "Z")
        p = requests.put(f"{host}/api/admin/lines/{code}", headers=auth, json={"opensAt": now}, timeout=5)
        p.raise_for_status()
        print(f"[fuzz] line {code}: the run left it scheduled; opened now (its pre-queue is drawn)")

def reopen(code):
    # A close or drain is final through the API (an ended line stays ended); a test run
    # must not end the stack's lines, so the run's own closes are taken back in Redis.
    key = os.environ.get("REDIS_KEY_PREFIX", "") + f"line:{code}:settings"
    cli = ["redis-cli", "-h", os.environ.get("REDIS_HOST", "127.0.0.1"), "-p", os.environ.get("REDIS_PORT", "6379")]
    if os.environ.get("REDIS_PASSWORD"):
        cli += ["--no-auth-warning", "-a", os.environ["REDIS_PASSWORD"]]
    out = subprocess.run(cli + ["HDEL", key, "closesAt", "endedAt"], capture_output=True, text=True, check=True)
    if out.stdout.strip() not in ("", "0"):
        print(f"[fuzz] line {code}: the run closed or drained it; reopened")

try:
    if action == "save":
        r = requests.get(f"{host}/api/coupons", timeout=5)
        r.raise_for_status()
        with open(path, "w") as f:
            json.dump({c["code"]: settings(c["code"]) for c in r.json()}, f)
    else:
        with open(path) as f:
            saved = json.load(f)
        for code, before in saved.items():
            reopen(code)
            open_if_scheduled(code)
            now = settings(code)
            if now != before:
                r = requests.put(f"{host}/api/admin/lines/{code}", headers=auth, json=before, timeout=5)
                r.raise_for_status()
                print(f"[fuzz] line {code}: settings put back to {before} (the run left {now})")
except (requests.RequestException, OSError, ValueError, KeyError, subprocess.CalledProcessError) as e:
    print(f"[fuzz] WARNING: could not {action} the lines' settings: {e}", file=sys.stderr)
PY
}

OUT="$REPORTS/fuzz-$(date +%Y%m%d-%H%M%S)"
# Every check but unsupported_method: for a method a path does not have (TRACE, QUERY,
# ...) the gateway answers 404 (QUERY: 400), where that check wants 405 with an Allow
# header. That is the framework's routing (Fastify's not-found handler), not the document.
# One worker: with more, hypothesis parses lambdas' source in several threads at once,
# which CPython 3.11 can fail with "AST constructor recursion depth mismatch".
ST=(
  "$VENV/bin/schemathesis" --config-file "$WORK/schemathesis.toml" --no-color
  run "$HOST/docs/openapi.json"
  --checks all --exclude-checks unsupported_method
  --max-examples "$MAX_EXAMPLES" --seed "$SEED" --workers "$WORKERS"
  --request-timeout 10
  --report junit --report-dir "$OUT" --report-junit-path "$OUT/junit.xml"
)
say "$("$VENV/bin/schemathesis" --version): $MAX_EXAMPLES examples per operation, seed $SEED, $WORKERS worker(s), at most ${TIME_LIMIT}s, against $HOST"
line_settings save
start=$SECONDS
set +e
timeout --kill-after=10 "$TIME_LIMIT" "${ST[@]}" "$@"
rc=$?
set -e
line_settings restore
if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
  say "ERROR: schemathesis did not finish within ${TIME_LIMIT}s (TIME_LIMIT); lower MAX_EXAMPLES"
  rc=1
fi
say "done in $((SECONDS - start)) s, exit code $rc; report: ${OUT#"$ROOT"/}/"
exit "$rc"
