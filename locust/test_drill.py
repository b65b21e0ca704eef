"""Unit tests of the pre-queue drill's pure steps (no network): `.local/venv/bin/python -m pytest locust`."""

from drill import choose_line, draw_verdict, fairness_verdict, parse_audit, rfc3339

# What `npm run audit -- A0001` and `npm run audit:draw -- A0001` print (apps/queue-gateway/src/audit
# and src/draw), taken from a run.
AUDIT_OK = """line A0001
  tickets written                      2
  admitted in order                    2
  admitted out of order (must be 0)    0
  admitted twice (must be 0)           0
  rejoined within the grace window     0
  skipped: cancelled                   0
  skipped: abandoned                   0
  not decided yet                      0
  issued                               1
  largest wait                         0.0 s
audit: OK
"""
DRAW_OK = """line A0001: opens 2026-11-23T15:36:42.000Z
  commitment  a832a593351ad1433925b053e90c0a1cf75206f17558a652b9cb31c23a4b6b2e
  seed        c38d31ab4f70de4b8b4e10946624190cb331f8dd0617e2ebcac8daa03463684b  (SHA-256 matches the commitment)
  entrants    2 before the opening, 0 after it
  line topic  2 draw records, 0 doubled, 0 pre-queue records missing
  order       the line holds exactly drawOrder(seed, entrants)
audit:draw: OK
"""


def test_parse_audit_rows():
    rows = parse_audit(AUDIT_OK)
    assert rows["admitted out of order (must be 0)"] == "0"
    assert rows["admitted twice (must be 0)"] == "0"
    assert rows["largest wait"] == "0.0 s"
    assert rows["skipped: cancelled"] == "0"


def test_fairness_verdict():
    assert fairness_verdict(AUDIT_OK, 0)[0] == 0
    twice = AUDIT_OK.replace("admitted twice (must be 0)           0", "admitted twice (must be 0)           1")
    assert fairness_verdict(twice.replace("audit: OK", "audit: VIOLATIONS"), 1)[0] == 3
    assert fairness_verdict(twice, 0)[0] == 3  # the figures count, whatever the exit code says
    assert fairness_verdict(AUDIT_OK, 1)[0] == 3
    assert fairness_verdict('audit: "x" is not a line code\n', 2)[0] == 2
    assert fairness_verdict(AUDIT_OK, 2)[0] == 2


def test_draw_verdict():
    ok, why = draw_verdict(DRAW_OK, 0)
    assert ok == 0 and "2 entrants" in why
    not_drawn = "line A0001: opens ...\n  commitment  ab\n  not drawn yet: the seed is still secret\n"
    assert draw_verdict(not_drawn, 0)[0] == 2  # exit 0, but nothing was checked
    assert draw_verdict(DRAW_OK.replace("audit:draw: OK", "audit:draw: FAILED"), 1)[0] == 3
    assert draw_verdict("line A0001 was never scheduled: nothing to audit\n", 2)[0] == 2


def line(code, state="open", remaining=300, draw=None):
    return {"code": code, "state": state, "remaining": remaining, "draw": draw}


def test_choose_line_takes_the_first_line_that_can_draw_for_the_whole_crowd():
    assert choose_line([line("A0001"), line("B0001")], 30) == ("A0001", [])
    code, passed = choose_line([line("A0001", draw="done"), line("B0001", draw="scheduled"),
                                line("C0001", remaining=10), line("D0001", remaining=100)], 30)
    assert code == "D0001" and len(passed) == 2 and "409 ALREADY_DRAWN" in passed[0]
    code, passed = choose_line([line("A0001", remaining=0), line("B0001", remaining=10)], 30)
    assert code == "B0001" and "sold out" in passed[0] and "410" in passed[-1]
    assert choose_line([line("A0001", draw="done"), line("C0001", state="ended")], 30)[0] is None


def test_rfc3339():
    assert rfc3339(1795448202.5) == "2026-11-23T15:36:42.500Z"
