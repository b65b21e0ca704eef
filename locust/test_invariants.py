"""Unit tests of the swarm's invariant bookkeeping (no network): `.local/venv/bin/python -m pytest locust`."""

import json

from invariants import (
    Ledger,
    b64url_decode,
    b64url_encode,
    check_draw,
    crowd_shortfall,
    check_numbers,
    draw_commitment,
    draw_order,
    flip_signature,
    prequeue_answer,
    server_error_breaks,
    tamper_payload,
)


def jws(claims: dict) -> str:
    header = b64url_encode(json.dumps({"alg": "HS256", "kid": "k1"}).encode())
    return f"{header}.{b64url_encode(json.dumps(claims).encode())}.c2lnbmF0dXJlLWJ5dGVzLWhlcmU"


def test_user_served_twice_breaks():
    ledger = Ledger()
    ledger.served_201("A0001", "u1", 0, 5, 1.0)
    assert not ledger.broken
    ledger.served_201("A0001", "u1", 0, 6, 2.0)
    assert ledger.breaks == {"user served twice": 1}
    ledger.served_201("B0001", "u1", 0, 1, 3.0)  # another coupon is fine
    assert ledger.breaks == {"user served twice": 1}


def test_more_201s_than_stock_breaks_only_past_the_stock():
    ledger = Ledger(stock_at_start={"A0001": 2})
    ledger.served_201("A0001", "u1", 0, 0, 1.0)
    ledger.served_201("A0001", "u2", 0, 1, 2.0)
    assert not ledger.broken
    ledger.served_201("A0001", "u3", 0, 2, 3.0)
    assert ledger.breaks["more 201s than stock"] == 1


def test_fifo_inversion_needs_a_later_offset_served_before_the_poll_started():
    ledger = Ledger()
    ledger.served_201("A0001", "u9", 0, 9, at=10.0)
    assert not ledger.waiting_307("A0001", 0, 3, request_started=9.0)  # poll began before the serve
    assert not ledger.waiting_307("A0001", 0, 12, request_started=11.0)  # behind the served one
    assert not ledger.waiting_307("A0001", 1, 3, request_started=11.0)  # another partition
    assert ledger.waiting_307("A0001", 0, 3, request_started=11.0)
    assert ledger.fifo_inversions == 1
    assert not ledger.broken  # a warning, not a break


def test_merge_finds_a_user_served_by_two_workers():
    master, w1, w2 = Ledger(stock_at_start={"A0001": 1}), Ledger(), Ledger()
    w1.served_201("A0001", "u1", 0, 0, 1.0)
    w2.served_201("A0001", "u1", 0, 1, 1.0)
    master.merge(w1.drain())
    assert not master.broken
    master.merge(w2.drain())
    assert master.breaks["user served twice"] == 1
    assert master.breaks["more 201s than stock"] == 1
    assert w1.drain()["served"] == []  # drained once


def test_tampering_changes_the_ticket_and_keeps_its_shape():
    ticket = jws({"uuid": "x", "line": "A0001", "partition": 0, "offset": 7, "userId": "u"})
    forged = tamper_payload(ticket)
    assert forged != ticket and forged.count(".") == 2
    assert json.loads(b64url_decode(forged.split(".")[1]))["offset"] == 6
    assert forged.split(".")[2] == ticket.split(".")[2]
    flipped = flip_signature(ticket)
    assert flipped != ticket and flipped.split(".")[:2] == ticket.split(".")[:2]
    assert tamper_payload("opaque") != "opaque"


def test_check_numbers():
    good = {"uuid": "x", "partition": 0, "offset": 10, "committedOffset": 4, "endOffset": 20, "ahead": 6,
            "behind": 9, "etaSeconds": 1, "pollAfterMs": 500, "ticket": "t"}
    assert check_numbers(good) is None
    assert "admitted" in check_numbers({**good, "committedOffset": 11})
    assert "ahead" in check_numbers({**good, "ahead": 7})
    assert "lacks" in check_numbers({"uuid": "x"})


# ---- the pre-queue crowd ----

# Vectors from the waiting room's own drawOrder/drawCommitment (libs/queue/src/draw.ts, run with node).
SEED = "c38d31ab4f70de4b8b4e10946624190cb331f8dd0617e2ebcac8daa03463684b"
COMMITMENT = "a832a593351ad1433925b053e90c0a1cf75206f17558a652b9cb31c23a4b6b2e"


def test_draw_order_is_the_waiting_rooms():
    assert draw_commitment(SEED) == COMMITMENT
    two_partitions = [(p, o, f"u{p}-{o}") for p in range(2) for o in range(6)][::-1]  # input order is irrelevant
    assert draw_order(SEED, two_partitions) == [
        "u0-3", "u1-0", "u0-5", "u1-3", "u1-5", "u1-2", "u0-1", "u1-4", "u0-0", "u1-1", "u0-2", "u0-4"]
    forty = [(0, o, f"e{o}") for o in range(40)]
    assert draw_order("00" * 32, forty) == [f"e{i}" for i in (
        32, 15, 35, 19, 24, 9, 36, 29, 23, 3, 16, 8, 0, 18, 38, 37, 27, 13, 26, 22,
        2, 12, 10, 20, 33, 11, 6, 25, 4, 21, 7, 5, 14, 17, 39, 1, 28, 31, 30, 34)]
    assert draw_order(SEED, []) == [] and draw_order(SEED, [(0, 0, "only")]) == ["only"]


def test_one_place_per_user():
    ledger = Ledger()
    assert ledger.one_place("A0001", "u1", "t1")
    assert ledger.one_place("A0001", "u1", "t1")  # the double request's second answer, a poll, a join again
    assert ledger.one_place("B0001", "u1", "t2")  # another line is another place
    assert not ledger.broken
    assert not ledger.one_place("A0001", "u1", "t3")
    assert ledger.breaks == {"two places for one user": 1}


def test_a_pre_queue_ticket_never_moves():
    ledger = Ledger()
    assert ledger.pre_entered("t1", 0, 4) and ledger.pre_entered("t1", 0, 4)
    assert ledger.pre_placed("t1", 1, 17) and ledger.pre_placed("t1", 1, 17)
    assert not ledger.broken
    assert not ledger.pre_placed("t1", 1, 18)
    assert ledger.breaks == {"pre-queue ticket moved": 1}


def test_merge_finds_two_places_across_workers_and_counts_outcomes():
    master, w1, w2 = Ledger(), Ledger(), Ledger()
    w1.one_place("A0001", "u1", "t1")
    w1.pre_entered("t1", 0, 0)
    w1.pre_placed("t1", 0, 9)
    w1.pre_outcome("issued")
    w2.one_place("A0001", "u1", "t2")
    w2.pre_outcome("issued")
    w2.pre_outcome("sold out")
    w2.pre_count("joined after the opening")
    master.merge(w1.drain())
    assert not master.broken and master.pre_entry == {"t1": (0, 0)} and master.pre_place == {"t1": (0, 9)}
    master.merge(w2.drain())
    assert master.breaks == {"two places for one user": 1}
    assert master.pre_outcomes == {"issued": 2, "sold out": 1} and master.pre_finished == 3
    assert master.pre_counts == {"joined after the opening": 1}
    assert w1.drain()["pre_uuid"] == []  # drained once


def test_only_a_tolerated_503_with_retry_after_is_not_a_break():
    assert not server_error_breaks(307, None, False)
    assert server_error_breaks(500, "1", True)
    assert server_error_breaks(503, "1", False)  # the default swarm: any 5xx
    assert server_error_breaks(503, None, True)  # the crowd: a 503 must say when to come back
    assert not server_error_breaks(503, "2", True)


def test_prequeue_answers():
    assert prequeue_answer(201, None) == "final"
    assert prequeue_answer(410, "SOLD_OUT") == "final"
    assert prequeue_answer(410, "LINE_ENDED") == "final"
    assert prequeue_answer(503, "UNAVAILABLE") == "retry"
    for status, error in ((401, "TICKET_INVALID"), (403, "TICKET_MISMATCH"), (410, "TICKET_ABANDONED"),
                          (410, "TICKET_SPENT"), (404, "NOT_FOUND")):
        assert prequeue_answer(status, error) == "refused"
    assert prequeue_answer(409, "ALREADY_ISSUED") == "failure"
    assert prequeue_answer(500, None) == "failure"


def published(**over):
    return {"status": "done", "seed": SEED, "commitment": COMMITMENT, "entrants": 12, **over}


def crowd():
    """Twelve entrants on two pre-queue partitions, placed in a one-partition line in the drawn order."""
    entry = {f"u{p}-{o}": (p, o) for p in range(2) for o in range(6)}
    order = draw_order(SEED, [(p, o, u) for u, (p, o) in entry.items()])
    place = {u: (0, 100 + i) for i, u in enumerate(order)}
    return entry, place


def test_check_draw_reproduces_the_order_from_the_published_seed():
    entry, place = crowd()
    result = check_draw(published(), COMMITMENT, entry, place)
    assert result["problems"] == [] and result["reproduced"] is True and result["placedChecked"] == 12
    # a ticket that never learnt its place is left out, the rest still checked
    del place["u0-3"]
    result = check_draw(published(), COMMITMENT, entry, place)
    assert result["reproduced"] is True and result["placedChecked"] == 11 and result["notes"]


def test_check_draw_finds_a_swap_per_partition():
    entry, place = crowd()
    order = draw_order(SEED, [(p, o, u) for u, (p, o) in entry.items()])
    place[order[3]], place[order[4]] = place[order[4]], place[order[3]]
    result = check_draw(published(), COMMITMENT, entry, place)
    assert result["reproduced"] is False and len(result["problems"]) == 1
    # across two line partitions only the order within each partition is known
    spread = {u: (i % 2, 50 + i) for i, u in enumerate(order)}
    assert check_draw(published(), COMMITMENT, entry, spread)["reproduced"] is True


def test_check_draw_the_seed_must_open_the_commitment_published_before():
    entry, place = crowd()
    assert "not the published commitment" in check_draw(published(commitment="ab" * 32), None, entry, place)["problems"][0]
    assert "changed" in check_draw(published(), "cd" * 32, entry, place)["problems"][0]
    undrawn = check_draw({"status": "scheduled", "seed": None}, COMMITMENT, entry, place)
    assert not undrawn["drawn"] and undrawn["problems"] == [] and "has not drawn" in undrawn["notes"][0]


def test_check_draw_says_when_it_cannot_rerun_the_order():
    entry, place = crowd()
    result = check_draw(published(entrants=13), COMMITMENT, entry, place)  # someone else joined too
    assert result["problems"] == [] and result["reproduced"] is None and "audit:draw" in result["notes"][0]


def test_crowd_shortfall():
    assert crowd_shortfall(3, {"issued": 2, "sold out": 1}, {"503 + Retry-After, asked again": 4}, True) == []
    assert crowd_shortfall(3, {"issued": 2, "gave up": 1}, {}, True) == ["journeys without a defined outcome: gave up 1"]
    why = crowd_shortfall(4, {"issued": 3}, {"joined after the opening": 1}, False)
    assert why == ["the line did not draw", "1 bot(s) joined after the opening", "1 of 4 bots did not finish"]
