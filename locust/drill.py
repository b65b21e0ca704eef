"""The pre-queue drill's steps around the swarm (scripts/load.sh with PREQUEUE=1; see locust/README.md).

  python locust/drill.py schedule     picks a line and schedules it OPENS_IN seconds ahead with a
                                      pre-queue; prints the line's code as the last line of stdout
  python locust/drill.py audit CODE   after the swarm: `npm run audit:draw -- CODE` (the draw re-run
                                      from Kafka) and `npm run audit -- CODE` (the fairness audit)

Environment: HOST (the gateway), ADMIN_TOKEN, PREQUEUE_LINE (a line to use; default: the first line
of the catalogue that was never scheduled and has stock for the crowd), USERS (the crowd),
OPENS_IN (seconds), ADMISSION_RATE (admissions/s set with the schedule; 0 = leave the rate).

Exit codes: schedule 0 scheduled, 2 no line could be scheduled; audit 0 both audits passed,
3 a violation (the draw not reproduced, someone admitted out of order or twice), 2 cannot check.
Standard library only, so that its pure parts are unit-tested with the ledger (locust/test_drill.py).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import datetime, timezone
from typing import Any


def say(msg: str) -> None:
    print(f"[load] {msg}", file=sys.stderr, flush=True)


# ---- choosing and scheduling the line ----


def choose_line(candidates: list[dict[str, Any]], crowd: int) -> tuple[str | None, list[str]]:
    """The first catalogue line a drill can schedule: never scheduled (a drawn line cannot be scheduled
    again, and a line someone else scheduled is theirs), open or paused, and with stock for every bot
    of the crowd (else the first with any stock at all). Returns (code or None, why each was passed over).

    Each candidate: {"code", "state", "remaining", "draw"}, draw being the line's draw status
    (None when never scheduled, "scheduled", "done")."""
    passed: list[str] = []
    usable: list[dict[str, Any]] = []
    for c in candidates:
        if c.get("draw") == "done":
            passed.append(f"{c['code']}: already drawn (a line draws once; scheduling it again is 409 ALREADY_DRAWN)")
        elif c.get("draw") == "scheduled":
            passed.append(f"{c['code']}: already scheduled by someone (name it with PREQUEUE_LINE to take it over)")
        elif c.get("state") not in ("open", "paused"):
            passed.append(f"{c['code']}: state {c.get('state')}")
        elif not c.get("remaining"):
            passed.append(f"{c['code']}: sold out")
        else:
            usable.append(c)
    for c in usable:
        if c["remaining"] >= crowd:
            return c["code"], passed
    if usable:
        return usable[0]["code"], passed + [f"no line has stock for all {crowd} bots: some will get 410 sold out"]
    return None, passed


def rfc3339(epoch_s: float) -> str:
    return datetime.fromtimestamp(epoch_s, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def http(method: str, url: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
    headers = {"content-type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:  # noqa: S310 - loopback, checked by load.sh
            raw = r.read()
            return r.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            return e.code, json.loads(raw)
        except ValueError:
            return e.code, raw.decode(errors="replace")


def candidates(host: str, codes: list[str]) -> list[dict[str, Any]]:
    out = []
    for code in codes:
        status, line = http("GET", f"{host}/api/lines/{code}")
        if status != 200 or not isinstance(line, dict):
            out.append({"code": code, "state": f"unknown (GET /api/lines/{code}: {status})", "remaining": 0})
            continue
        status, draw = http("GET", f"{host}/api/lines/{code}/draw")
        out.append({"code": code, "state": line.get("state"), "remaining": line.get("remaining") or 0,
                    "draw": draw.get("status") if status == 200 and isinstance(draw, dict) else None})
    return out


def schedule() -> int:
    host = os.environ["HOST"].rstrip("/")
    token = os.environ.get("ADMIN_TOKEN", "")
    crowd = int(os.environ.get("USERS", "50"))
    opens_in = float(os.environ.get("OPENS_IN", "120"))
    rate = int(os.environ.get("ADMISSION_RATE", "10"))
    wanted = os.environ.get("PREQUEUE_LINE", "").strip()
    if not token:
        say("ERROR: ADMIN_TOKEN is not set (.env): scheduling a line needs it")
        return 2
    if wanted:
        codes = [wanted]
    else:
        status, catalogue = http("GET", f"{host}/api/coupons")
        if status != 200 or not isinstance(catalogue, list):
            say(f"ERROR: GET /api/coupons answered {status}")
            return 2
        codes = [c["code"] for c in catalogue]
    found = candidates(host, codes)
    if wanted:
        code = wanted  # named: scheduled as asked, and the admin API says why not
        if found and found[0].get("draw") == "scheduled":
            say(f"line {code} is already scheduled: the drill schedules it again (same seed and commitment)")
    else:
        chosen, passed = choose_line(found, crowd)
        for why in passed:
            say(f"line {why}")
        if chosen is None:
            say("ERROR: no catalogue line can be scheduled for a draw (a line draws once per stack); "
                "on a fresh stack A0001 can, or name one with PREQUEUE_LINE")
            return 2
        code = chosen
    opens_at = time.time() + opens_in
    body: dict[str, Any] = {"opensAt": rfc3339(opens_at), "preQueue": True}
    if rate > 0:
        body.update(ratePerSec=rate, burst=rate, maxActive=0)
    status, answer = http("PUT", f"{host}/api/admin/lines/{code}", body, token)
    if status // 100 != 2:
        say(f"ERROR: PUT /api/admin/lines/{code} {json.dumps(body)} answered {status}: {answer}")
        return 2
    draw = (answer or {}).get("draw") or {}
    say(f"line {code} scheduled via PUT /api/admin/lines/{code}: opens at {body['opensAt']} (in {opens_in:g} s) "
        f"with a pre-queue{f', admitting {rate}/s' if rate > 0 else ''}; commitment {draw.get('commitment')}")
    print(code)
    return 0


# ---- the audits after the swarm ----

ROW = re.compile(r"^\s+(?P<label>.+?)\s{2,}(?P<value>\S.*?)\s*$")


def parse_audit(text: str) -> dict[str, str]:
    """`npm run audit -- CODE`'s rows: label -> value ("admitted twice (must be 0)" -> "0")."""
    rows = {}
    for line in text.splitlines():
        m = ROW.match(line)
        if m:
            rows[m["label"]] = m["value"]
    return rows


def fairness_verdict(text: str, rc: int) -> tuple[int, str]:
    """0 when both must-be-0 rows say 0 (and the command agrees); 3 a violation; 2 cannot tell."""
    rows = parse_audit(text)
    out_of_order = rows.get("admitted out of order (must be 0)")
    twice = rows.get("admitted twice (must be 0)")
    if out_of_order is None or twice is None:
        return 2, f"audit: no out-of-order / twice rows in its output (exit {rc})"
    figures = f"out of order {out_of_order}, twice {twice}, admitted in order {rows.get('admitted in order')}, " \
              f"issued {rows.get('issued')}"
    if out_of_order != "0" or twice != "0" or rc == 1:
        return 3, f"audit: VIOLATIONS ({figures})"
    if rc != 0:
        return 2, f"audit: exit {rc} ({figures})"
    return 0, f"audit: OK ({figures})"


def draw_verdict(text: str, rc: int) -> tuple[int, str]:
    """0 when audit:draw re-ran the draw and said OK; 3 when it found the draw wrong; 2 cannot check
    (exit 0 without OK means the line has not drawn yet: not a pass)."""
    if rc == 0 and re.search(r"^audit:draw: OK$", text, re.M):
        m = re.search(r"entrants\s+(\d+) before the opening, (\d+) after it", text)
        entrants = f"{m[1]} entrants, {m[2]} after the opening" if m else "entrants unknown"
        return 0, f"audit:draw: OK (seed matches the commitment; the line holds exactly drawOrder(seed, entrants); {entrants})"
    if rc == 1 or "audit:draw: FAILED" in text:
        return 3, "audit:draw: FAILED (see above)"
    if "not drawn yet" in text:
        return 2, "audit:draw: the line has not drawn yet"
    return 2, f"audit:draw: could not check (exit {rc})"


def run_npm(script: str, code: str) -> tuple[str, int]:
    p = subprocess.run(["npm", "run", "--silent", script, "--", code], capture_output=True, text=True, timeout=120)
    out = p.stdout + (p.stderr if p.returncode not in (0, 1) else "")
    sys.stdout.write(out)
    sys.stdout.flush()
    return out, p.returncode


def audit(code: str) -> int:
    worst = 0
    for script, verdict in (("audit:draw", draw_verdict), ("audit", fairness_verdict)):
        say(f"npm run audit{script[5:]} -- {code}")
        try:
            out, rc = run_npm(script, code)
        except (OSError, subprocess.TimeoutExpired) as e:
            out, rc = str(e), 2
        result, why = verdict(out, rc)
        say(why)
        worst = max(worst, result)
    return worst


def main(argv: list[str]) -> int:
    if argv[:1] == ["schedule"]:
        return schedule()
    if argv[:1] == ["audit"] and len(argv) == 2:
        return audit(argv[1])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
