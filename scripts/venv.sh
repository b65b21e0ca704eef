# Sourced by load.sh and fuzz.sh: the project's Python virtualenv (.local/venv,
# git-ignored) and the loopback-only rule for tools that send traffic.

# ensure_venv BINARY STAMP REQUIREMENTS...: installs the pinned requirements into
# .local/venv unless BINARY is there and the requirements are unchanged since the
# last install (their hash is kept in .local/venv/STAMP). Needs say() and die().
ensure_venv() {
  local binary="$1" stamp="$2"; shift 2
  local venv="$ROOT/.local/venv" want
  want="$(cat "$@" | sha256sum | cut -d' ' -f1)"
  if [ ! -x "$venv/bin/$binary" ] || [ "$(cat "$venv/$stamp" 2>/dev/null)" != "$want" ]; then
    say "installing $binary into $venv (pinned: $*)"
    python3 -m venv "$venv" || die "python3 -m venv failed (Debian: apt-get install python3-venv)"
    local args=(); for r in "$@"; do args+=(-r "$r"); done
    "$venv/bin/pip" install -q --disable-pip-version-check "${args[@]}" || die "pip install failed"
    echo "$want" >"$venv/$stamp"
  fi
}

# loopback_only HOST ALLOW_VAR: traffic is only ever sent to this machine, unless
# the variable named ALLOW_VAR is 1 (a stack the caller owns).
loopback_only() {
  case "$1" in
    http://127.*|http://localhost[:/]*|http://localhost|http://\[::1\]*) ;;
    *) [ "${!2:-0}" = 1 ] || die "HOST=$1 is not a loopback address (set $2=1 only for a stack you own)";;
  esac
}
