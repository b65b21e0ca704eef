#!/usr/bin/env bash
# Creates .env from .env.example on first use, with freshly generated secrets.
# An existing .env is left alone, except that a secret added since it was written
# (COUPON_SERVICE_TOKEN) is appended with a random value, so an older clone keeps
# starting. Idempotent: a second run changes nothing.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ENV_FILE="$ROOT/.env"
secret() { node -e "process.stdout.write(require('crypto').randomBytes($1).toString('base64url'))"; }

if [ ! -f "$ENV_FILE" ]; then
  sed -e "s#^TICKET_SECRET=.*#TICKET_SECRET=$(secret 48)#" \
      -e "s#^ADMIN_TOKEN=.*#ADMIN_TOKEN=$(secret 24)#" \
      -e "s#^COUPON_SERVICE_TOKEN=.*#COUPON_SERVICE_TOKEN=$(secret 32)#" "$ROOT/.env.example" >"$ENV_FILE"
  chmod 600 "$ENV_FILE"
  echo "[env] wrote .env with random TICKET_SECRET, ADMIN_TOKEN and COUPON_SERVICE_TOKEN"
  exit 0
fi

# An older .env, written before COUPON_SERVICE_TOKEN existed: add one. A missing or
# empty line gets a random value; a value someone set is never replaced.
if ! grep -qE '^COUPON_SERVICE_TOKEN=.+' "$ENV_FILE"; then
  token=$(secret 32)
  if grep -qE '^COUPON_SERVICE_TOKEN=$' "$ENV_FILE"; then
    sed -i -e "s#^COUPON_SERVICE_TOKEN=\$#COUPON_SERVICE_TOKEN=$token#" "$ENV_FILE"
  else
    [ -z "$(tail -c1 "$ENV_FILE")" ] || echo >>"$ENV_FILE"
    printf '# Shared by the gateway and the coupon service (added by scripts/ensure-env.sh).\nCOUPON_SERVICE_TOKEN=%s\n' \
      "$token" >>"$ENV_FILE"
  fi
  echo "[env] added a random COUPON_SERVICE_TOKEN to .env"
fi
