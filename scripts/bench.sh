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
# BENCH_WAITERS_WINDOW (s, default 30). A quick check of the runner:
#   BENCH_ONLY=bare,linestate BENCH_DURATION=2 npm run bench
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
. scripts/prepare.sh
prepare
exec timeout --kill-after=15 1200 node dist/bench/main.js
