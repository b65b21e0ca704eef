#!/usr/bin/env bash
# Creates .env from .env.example on first use, with freshly generated secrets.
# An existing .env is left alone.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[ -f "$ROOT/.env" ] && exit 0
secret() { node -e "process.stdout.write(require('crypto').randomBytes($1).toString('base64url'))"; }
sed -e "s#^TICKET_SECRET=.*#TICKET_SECRET=$(secret 48)#" \
    -e "s#^ADMIN_TOKEN=.*#ADMIN_TOKEN=$(secret 24)#" "$ROOT/.env.example" >"$ROOT/.env"
chmod 600 "$ROOT/.env"
echo "[env] wrote .env with random TICKET_SECRET and ADMIN_TOKEN"
