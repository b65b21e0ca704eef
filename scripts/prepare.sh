# Sourced (not run) by start.sh, stack.sh, test.sh and bench.sh, from the
# repository root: `prepare` installs the node modules when they are missing or
# behind package-lock.json, brings the real services up, makes sure .env exists
# and exports it (a variable the caller set wins: GATEWAY_PORT=3100 npm start),
# and builds; `prepare --migrate` also runs the migrations.
prepare() {
  ensure_node_modules
  bash scripts/services.sh up
  bash scripts/ensure-env.sh
  load_env
  npm run --silent build
  if [ "${1:-}" = --migrate ]; then npm run --silent migrate; fi
}

# `npm ci` when node_modules is missing or does not match package-lock.json (a
# fresh clone, or a pull that changed the lockfile); otherwise nothing, so an
# `npm install` of one's own is kept. Without a lockfile: `npm install`.
ensure_node_modules() {
  if [ ! -f package-lock.json ]; then
    [ -d node_modules ] || npm install
  elif ! node_modules_match_lock; then
    echo "[prepare] node_modules is missing or behind package-lock.json: npm ci"
    npm ci
  fi
}

# npm records what it installed in node_modules/.package-lock.json: every package
# of package-lock.json must be there at its version, except optional ones (another
# platform's binaries) that were not installed.
node_modules_match_lock() {
  node -e '
    const read = (file) => {
      try {
        return JSON.parse(require("node:fs").readFileSync(file, "utf8")).packages ?? {};
      } catch {
        return null;
      }
    };
    const wanted = read("package-lock.json");
    const installed = read("node_modules/.package-lock.json");
    const stale =
      !wanted ||
      !installed ||
      Object.entries(wanted).some(([path, pkg]) =>
        path === "" || pkg.link
          ? false
          : installed[path]
            ? installed[path].version !== pkg.version
            : !(pkg.optional || pkg.devOptional),
      );
    process.exit(stale ? 1 : 0);
  '
}

# .env into the environment, without overriding what the caller set.
load_env() {
  local key
  local -A caller=()
  for key in $(grep -oE '^[A-Za-z_][A-Za-z0-9_]*=' .env | tr -d =); do
    if [ -n "${!key+x}" ]; then caller[$key]="${!key}"; fi
  done
  set -a
  . ./.env
  set +a
  for key in "${!caller[@]}"; do export "$key=${caller[$key]}"; done
}
