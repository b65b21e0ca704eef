"""Unit tests of the swarm's invariant bookkeeping (no network): `.local/venv/bin/python -m pytest locust`."""

import json

from invariants import Ledger, b64url_decode, b64url_encode, check_numbers, flip_signature, tamper_payload


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
