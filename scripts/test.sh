#!/usr/bin/env bash
# `npm test`: brings up the real services if needed, builds, runs the migrations,
# then the three tiers: unit, integration (real Kafka, Redis, PostgreSQL), e2e.
# Exits non-zero on any failure. Independent of earlier runs: tests use random
# topic names, Redis key prefixes and databases.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/services.sh up
bash scripts/ensure-env.sh
npm run --silent build
npm run --silent migrate
npx jest --selectProjects unit "$@"
npx jest --selectProjects integration --runInBand "$@"
npx jest --selectProjects e2e --runInBand "$@"
