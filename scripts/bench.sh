#!/usr/bin/env bash
# `npm run bench`: one command, one run, loopback only, no manual steps.
# Brings up Kafka/Redis/PostgreSQL if needed (idempotent), builds, then runs
# dist/bench/main.js, which starts its own copies of the apps (own ports, Redis
# prefix, Kafka topics, consumer group, databases), runs the phases of
# bench/phases/ in order, writes BENCHMARKS.md and bench/swarm-chart.svg, and
# removes what it created.
# Knobs: BENCH_DURATION (s per HTTP figure, default 10), BENCH_CONNECTIONS
# (default 50), BENCH_BIG_LINE (tickets in the long line, default 1000000),
# BENCH_ONLY (e.g. waiters,linestate: only the phases whose names contain one of
# the words; the report and the swarm chart then go to reports/bench-<id>/, not
# over BENCHMARKS.md and bench/swarm-chart.svg), BENCH_WAITERS (waiter counts,
# default 1000,10000 and the most one process's open-file limit allows),
# BENCH_WAITERS_WINDOW (s, default 30), BENCH_RUNS (default 1: run the whole bench
# that many times, each on a fresh stack, and report every figure's median with its
# spread; dist/bench/merge.js). A quick check of the runner:
#   BENCH_ONLY=bare,linestate BENCH_DURATION=2 npm run bench
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
. scripts/prepare.sh
prepare
RUNS="${BENCH_RUNS:-1}"
[[ "$RUNS" =~ ^[1-9][0-9]?$ ]] || { echo "[bench] BENCH_RUNS=$RUNS: a number from 1 to 99" >&2; exit 2; }
if [ "$RUNS" = 1 ]; then
  exec timeout --kill-after=15 1200 node dist/bench/main.js
fi
# Several runs, each a fresh stack, then the median and spread of every figure.
OUT="reports/bench-runs-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$OUT"
files=()
for i in $(seq 1 "$RUNS"); do
  echo "[bench] run $i of $RUNS"
  BENCH_FIGURES_OUT="$OUT/run-$i.json" timeout --kill-after=15 1200 node dist/bench/main.js || true
  [ -f "$OUT/run-$i.json" ] && files+=("$OUT/run-$i.json")
done
[ "${#files[@]}" -gt 0 ] || { echo "[bench] no run finished" >&2; exit 1; }
if [ -n "${BENCH_ONLY:-}" ]; then export BENCH_MERGE_DIR="$OUT"; fi
exec node dist/bench/merge.js "${files[@]}"
