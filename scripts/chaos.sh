#!/usr/bin/env bash
# `npm run chaos`: the fault suite (test/chaos/). Brings the real services up if
# needed (idempotent), builds, migrates, then kills parts under load: a private
# Kafka broker mid-burst, a private Redis (AOF every second) mid-issue, the
# admitter and the coupon service mid-line, and every gateway for longer than
# the abandon window. Loopback only, bounded in count and time (each scenario
# stops by itself). Prints the table and writes docs/chaos.md;
# CHAOS_SHORT=1 (what CI runs) is a smaller load and writes reports/chaos.md.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
. scripts/prepare.sh
prepare --migrate
mkdir -p reports
exec timeout --kill-after=15 1500 npx jest --selectProjects chaos --runInBand "$@"
