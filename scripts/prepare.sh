# Sourced (not run) by start.sh, stack.sh, test.sh and bench.sh, from the
# repository root: `prepare` brings the real services up, makes sure .env exists
# and exports it, and builds; `prepare --migrate` also runs the migrations.
prepare() {
  bash scripts/services.sh up
  bash scripts/ensure-env.sh
  set -a
  . ./.env
  set +a
  npm run --silent build
  if [ "${1:-}" = --migrate ]; then npm run --silent migrate; fi
}
