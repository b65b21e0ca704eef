"""Bot swarm for the waiting room: realistic personas that also check the invariants.

Run it through `npm run load` (headless) or `npm run load:ui` (web UI); see
locust/README.md. Environment knobs (all optional):

  LINES            comma-separated coupon codes the bots queue for (default C0001)
  MAX_JOURNEY_S    a bot gives up waiting after this long (default 90)
  MAX_FAIL_RATIO   failures tolerated before the exit code turns 1 (default 0.01)
  LOAD_REPORT_DIR  where the invariant summary JSON is written (default: none)

Exit codes (set in the quitting hook): 0 fine; 1 too many failed requests;
3 an invariant broke (any 5xx, more 201s than stock, a forged or cancelled
ticket served, one user served twice).
"""

from __future__ import annotations

import json
import logging
import os
import random
import time
import urllib.request
import uuid as uuidlib
from typing import Any

import gevent
from locust import FastHttpUser, between, events, task
from locust.runners import MasterRunner, WorkerRunner

from invariants import Ledger, check_numbers, flip_signature, tamper_payload

log = logging.getLogger("waiting-room")

LINES = [c.strip() for c in os.environ.get("LINES", "C0001").split(",") if c.strip()]
KNOWN_CODES = ["A0001", "B0001", "C0001"]
MAX_JOURNEY_S = float(os.environ.get("MAX_JOURNEY_S", "90"))
MAX_FAIL_RATIO = float(os.environ.get("MAX_FAIL_RATIO", "0.01"))
REPORT_DIR = os.environ.get("LOAD_REPORT_DIR", "")
RUN_ID = os.environ.get("LOAD_RUN_ID") or uuidlib.uuid4().hex[:8]
TICKET_HEADER = "X-Queue-Ticket"

ledger = Ledger()
# wall-clock of the swarm, for the invariant summary
stats_extra: dict[str, Any] = {"journeys": {}, "gave_up": 0, "admitted": 0}


def measure(name: str, value: float, unit: str = "") -> None:
    """Custom measurement: shows up as its own row (type METRIC) in Locust's stats, HTML and CSV."""
    events.request.fire(
        request_type="METRIC",
        name=f"{name}{f' ({unit})' if unit else ''}",
        response_time=value,
        response_length=0,
        exception=None,
        context={},
    )


def count_journey(kind: str) -> None:
    stats_extra["journeys"][kind] = stats_extra["journeys"].get(kind, 0) + 1


def json_body(resp: Any) -> Any:
    try:
        return resp.json()
    except Exception:  # noqa: BLE001 - any undecodable body is a contract failure reported by the caller
        return None


def wait_hint(resp: Any, body: Any) -> float:
    """Seconds to wait before the next poll: pollAfterMs, else Retry-After, bounded to [0.05, 10]."""
    seconds = None
    if isinstance(body, dict) and isinstance(body.get("pollAfterMs"), (int, float)):
        seconds = body["pollAfterMs"] / 1000
    if seconds is None:
        try:
            seconds = float(resp.headers.get("Retry-After") or 1)
        except ValueError:
            seconds = 1.0
    return min(10.0, max(0.05, seconds))


class Bot(FastHttpUser):
    abstract = True
    wait_time = between(0.5, 2)
    # no redirect following anywhere: a 307 here is an answer, not a hop
    max_redirects = 0

    def new_user(self, kind: str) -> str:
        return f"{kind}-{RUN_ID}-{uuidlib.uuid4().hex[:12]}"

    def line(self) -> str:
        return random.choice(LINES)

    # ---- one request each, with the contract's expectations ----

    def enqueue(self, line: str, user: str) -> dict[str, Any] | None:
        """First request: expects a 307 with a ticket; returns the 307 body."""
        with self.client.post(
            f"/api/coupons/{line}/issue",
            json={"userId": user},
            name="/api/coupons/[code]/issue (enqueue)",
            allow_redirects=False,
            catch_response=True,
        ) as resp:
            body = json_body(resp)
            if resp.status_code == 410:
                resp.success()  # sold out before we even queued: a valid answer
                return None
            if resp.status_code != 307:
                resp.failure(f"enqueue: expected 307, got {resp.status_code}: {str(body)[:200]}")
                return None
            problem = check_numbers(body)
            if problem:
                resp.failure(f"enqueue: {problem}")
                return None
            if resp.headers.get(TICKET_HEADER) != body["ticket"]:
                resp.failure("enqueue: X-Queue-Ticket header differs from the body's ticket")
                return None
            if not resp.headers.get("Retry-After"):
                resp.failure("enqueue: 307 without Retry-After")
                return None
            resp.success()
            measure("position at arrival", body["ahead"], "tickets")
            return body

    def wait_and_issue(self, line: str, user: str, first: dict[str, Any], label: str = "poll") -> tuple[int, int]:
        """Polls honouring pollAfterMs until a final answer; returns (status, polls). Status 0 = gave up."""
        ticket, partition, offset = first["ticket"], first["partition"], first["offset"]
        started = time.monotonic()
        polls = 0
        hint = wait_hint(None, first)
        while time.monotonic() - started < MAX_JOURNEY_S:
            gevent.sleep(hint)
            polls += 1
            request_started = time.monotonic()
            with self.client.post(
                f"/api/coupons/{line}/issue",
                json={"userId": user},
                headers={TICKET_HEADER: ticket},
                name=f"/api/coupons/[code]/issue ({label})",
                allow_redirects=False,
                catch_response=True,
            ) as resp:
                body = json_body(resp)
                status = resp.status_code
                if status == 307:
                    problem = check_numbers(body)
                    if problem:
                        resp.failure(f"{label}: {problem}")
                    elif body["uuid"] != first["uuid"] or body["offset"] != offset:
                        resp.failure(f"{label}: the 307 names another ticket than the one polled")
                    else:
                        resp.success()
                        if ledger.waiting_307(line, partition, offset, request_started):
                            log.warning("FIFO inversion: %s offset %s still waiting after a later ticket was served", line, offset)
                    hint = wait_hint(resp, body)
                    continue
                if status == 201:
                    resp.success()
                    ledger.served_201(line, user, partition, offset, time.monotonic())
                    stats_extra["admitted"] += 1
                    measure("time in line", (time.monotonic() - started) * 1000, "ms")
                    measure("polls per admission", polls, "polls")
                    return 201, polls
                if status in (409, 410):
                    resp.success()
                    return status, polls
                resp.failure(f"{label}: unexpected {status}: {str(body)[:200]}")
                return status, polls
        stats_extra["gave_up"] += 1
        return 0, polls


# ---- the personas ----


class Patient(Bot):
    """Queues once and waits as told (pollAfterMs / Retry-After) until served or sold out."""

    weight = 5

    @task
    def queue_and_wait(self) -> None:
        count_journey("patient")
        line, user = self.line(), self.new_user("patient")
        first = self.enqueue(line, user)
        if first:
            status, _ = self.wait_and_issue(line, user, first)
            if status == 409:
                events.request.fire(
                    request_type="CHECK", name="patient got 409 on its first issue", response_time=0,
                    response_length=0, exception=Exception("409 for a user that never had this coupon"), context={},
                )


class Impatient(Bot):
    """Watches its ticket's status for a while, cancels it, and makes sure the cancelled ticket is dead."""

    weight = 2

    @task
    def queue_then_cancel(self) -> None:
        count_journey("impatient")
        line, user = self.line(), self.new_user("impatient")
        first = self.enqueue(line, user)
        if not first:
            return
        ticket, tid = first["ticket"], first["uuid"]
        deadline = time.monotonic() + random.uniform(0.5, 5)
        hint = wait_hint(None, first)
        while time.monotonic() < deadline:
            gevent.sleep(min(hint, max(0.0, deadline - time.monotonic())))
            with self.client.get(
                f"/api/queue/tickets/{tid}", headers={TICKET_HEADER: ticket},
                name="/api/queue/tickets/[uuid] (status)", catch_response=True,
            ) as resp:
                body = json_body(resp)
                if resp.status_code != 200 or not isinstance(body, dict):
                    resp.failure(f"status: expected 200 JSON, got {resp.status_code}: {str(body)[:200]}")
                    return
                resp.success()
                hint = wait_hint(resp, body)
        for attempt in ("cancel", "cancel again"):
            with self.client.delete(
                f"/api/queue/tickets/{tid}", headers={TICKET_HEADER: ticket},
                name=f"/api/queue/tickets/[uuid] ({attempt})", catch_response=True,
            ) as resp:
                if 200 <= resp.status_code < 300:
                    resp.success()
                else:
                    resp.failure(f"{attempt}: expected 2xx (idempotent), got {resp.status_code}")
        with self.client.post(
            f"/api/coupons/{line}/issue", json={"userId": user}, headers={TICKET_HEADER: ticket},
            name="/api/coupons/[code]/issue (cancelled ticket)", allow_redirects=False, catch_response=True,
        ) as resp:
            if resp.status_code == 201:
                ledger.broke("cancelled ticket served", f"{tid} on {line} got 201 after DELETE")
                resp.failure("a cancelled ticket was served")
            elif 400 <= resp.status_code < 500:
                resp.success()
            else:
                resp.failure(f"cancelled ticket: expected 410, got {resp.status_code}")


class Abandoner(Bot):
    """Takes a ticket, polls once or twice, and walks away (the admitter must skip it later)."""

    weight = 1

    @task
    def queue_and_leave(self) -> None:
        count_journey("abandoner")
        line, user = self.line(), self.new_user("abandoner")
        first = self.enqueue(line, user)
        if not first:
            return
        for _ in range(random.randint(0, 2)):
            gevent.sleep(wait_hint(None, first))
            with self.client.post(
                f"/api/coupons/{line}/issue", json={"userId": user}, headers={TICKET_HEADER: first["ticket"]},
                name="/api/coupons/[code]/issue (poll)", allow_redirects=False, catch_response=True,
            ) as resp:
                if resp.status_code == 201:
                    resp.success()
                    ledger.served_201(line, user, first["partition"], first["offset"], time.monotonic())
                    return
                if resp.status_code in (307, 409, 410):
                    resp.success()
                else:
                    resp.failure(f"poll: unexpected {resp.status_code}")


class DoubleClicker(Bot):
    """The same user twice at once: at most one coupon may come of it."""

    weight = 1

    @task
    def click_twice(self) -> None:
        count_journey("double-clicker")
        line, user = self.line(), self.new_user("double")

        def one_click() -> int:
            first = self.enqueue(line, user)
            if not first:
                return 410
            return self.wait_and_issue(line, user, first, label="poll (double click)")[0]

        clicks = [gevent.spawn(one_click), gevent.spawn(one_click)]
        gevent.joinall(clicks)
        outcomes = sorted(g.value for g in clicks if g.value is not None)
        if outcomes.count(201) == 1 and not (set(outcomes) - {201, 409, 410, 0}):
            measure("double click: one served", 1, "ok")


class Forger(Bot):
    """Tampers with a real ticket in every way the contract names and expects a 4xx each time."""

    weight = 1

    def expect_rejected(self, method: str, path: str, name: str, ticket: str, user: str, what: str) -> None:
        kwargs: dict[str, Any] = {"headers": {TICKET_HEADER: ticket}, "name": name, "catch_response": True}
        if method == "POST":
            kwargs["json"] = {"userId": user}
            kwargs["allow_redirects"] = False
        with self.client.request(method, path, **kwargs) as resp:
            status = resp.status_code
            if 400 <= status < 500:
                resp.success()
                return
            if status == 201:
                ledger.broke("forged ticket served", f"{what}: 201 on {path}")
            elif 200 <= status < 400:
                ledger.broke("forged ticket accepted", f"{what}: {status} on {method} {path}")
            resp.failure(f"{what}: expected 4xx, got {status}")

    @task
    def forge(self) -> None:
        count_journey("forger")
        line, user = self.line(), self.new_user("forger")
        first = self.enqueue(line, user)
        if not first:
            return
        ticket, tid = first["ticket"], first["uuid"]
        issue = f"/api/coupons/{line}/issue"
        other_line = random.choice([c for c in KNOWN_CODES + LINES if c != line] or ["Z9999"])
        self.expect_rejected("POST", issue, "forged: signature", flip_signature(ticket), user, "changed signature")
        self.expect_rejected("POST", issue, "forged: offset", tamper_payload(ticket), user, "changed offset")
        self.expect_rejected("POST", issue, "forged: other user", ticket, f"{user}-thief", "ticket of another user")
        self.expect_rejected("POST", f"/api/coupons/{other_line}/issue", "forged: other line", ticket, user, "ticket of another line")
        self.expect_rejected("POST", issue, "forged: garbage", "not-a-ticket", user, "garbage ticket")
        self.expect_rejected("GET", f"/api/queue/tickets/{tid}", "forged: status", flip_signature(ticket), user, "status with a changed signature")
        self.expect_rejected("DELETE", f"/api/queue/tickets/{tid}", "forged: cancel", flip_signature(ticket), user, "cancel by a non-holder")
        # the genuine ticket leaves the line so it spends nobody's time
        self.client.delete(f"/api/queue/tickets/{tid}", headers={TICKET_HEADER: ticket}, name="/api/queue/tickets/[uuid] (cancel)")


class Reader(Bot):
    """Reads stock and wallets; stock must stay within [0, quantity] and a served user must see the coupon."""

    weight = 1

    @task(3)
    def stock(self) -> None:
        count_journey("reader")
        with self.client.get("/api/coupons", name="/api/coupons", catch_response=True) as resp:
            body = json_body(resp)
            if resp.status_code != 200 or not isinstance(body, list):
                resp.failure(f"stock: expected 200 with a list, got {resp.status_code}")
                return
            for c in body:
                if not isinstance(c, dict) or not {"code", "quantity", "remaining"} <= c.keys():
                    resp.failure("stock: an entry lacks code/quantity/remaining")
                    return
                if not 0 <= c["remaining"] <= c["quantity"]:
                    resp.failure(f"stock: {c['code']} remaining {c['remaining']} outside [0, {c['quantity']}]")
                    return
            resp.success()

    @task(1)
    def wallet(self) -> None:
        served = list(ledger.served)[-50:]
        line, user = random.choice(served) if served else ("", self.new_user("reader"))
        with self.client.get(f"/api/users/{user}/coupons", name="/api/users/[userId]/coupons", catch_response=True) as resp:
            body = json_body(resp)
            if resp.status_code != 200 or not isinstance(body, list):
                resp.failure(f"wallet: expected 200 with a list, got {resp.status_code}")
            elif line and not any(isinstance(e, dict) and e.get("couponCode") == line for e in body):
                resp.failure(f"wallet: {user} was served {line} but the wallet lacks it")
            else:
                resp.success()


# ---- invariants across the run ----


@events.request.add_listener
def on_request(request_type: str, name: str, response: Any = None, **_: Any) -> None:
    status = getattr(response, "status_code", 0) or 0
    if status >= 500:
        ledger.broke("5xx", f"{status} on {request_type} {name}")


def read_stock(host: str) -> dict[str, int]:
    with urllib.request.urlopen(f"{host.rstrip('/')}/api/coupons", timeout=5) as r:  # noqa: S310 - host is the swarm's target
        return {c["code"]: int(c["remaining"]) for c in json.loads(r.read())}


@events.test_start.add_listener
def on_test_start(environment: Any, **_: Any) -> None:
    if isinstance(environment.runner, WorkerRunner) or not environment.host:
        return
    try:
        ledger.stock_at_start.update(read_stock(environment.host))
        log.info("stock at start: %s; lines: %s; run id %s", ledger.stock_at_start, LINES, RUN_ID)
    except Exception as e:  # noqa: BLE001 - without it only the stock check is lost; say so
        log.warning("could not read the stock at start (%s): the 'more 201s than stock' check is off", e)


@events.report_to_master.add_listener
def on_report_to_master(data: dict[str, Any], **_: Any) -> None:
    data["waiting_room"] = ledger.drain()


@events.worker_report.add_listener
def on_worker_report(data: dict[str, Any], **_: Any) -> None:
    if "waiting_room" in data:
        ledger.merge(data["waiting_room"])


@events.quitting.add_listener
def on_quitting(environment: Any, **_: Any) -> None:
    if isinstance(environment.runner, WorkerRunner):
        return  # the master decides
    total = environment.stats.total
    fail_ratio = total.fail_ratio
    summary = {
        "runId": RUN_ID,
        "lines": LINES,
        "stockAtStart": ledger.stock_at_start,
        "issued201": ledger.issued,
        "breaks": ledger.breaks,
        "breakExamples": ledger.break_examples,
        "fifoInversions": ledger.fifo_inversions,
        "journeys": stats_extra["journeys"],
        "gaveUp": stats_extra["gave_up"],
        "requests": total.num_requests,
        "failures": total.num_failures,
        "failRatio": round(fail_ratio, 4),
        "distributed": isinstance(environment.runner, MasterRunner),
    }
    if environment.host and not isinstance(environment.runner, WorkerRunner):
        try:
            summary["stockAtEnd"] = read_stock(environment.host)
        except Exception:  # noqa: BLE001 - informational only
            pass
    if ledger.broken:
        environment.process_exit_code = 3
        verdict = "INVARIANT BROKEN"
    elif fail_ratio > MAX_FAIL_RATIO:
        environment.process_exit_code = 1
        verdict = f"too many failures ({fail_ratio:.2%} > {MAX_FAIL_RATIO:.2%})"
    else:
        environment.process_exit_code = 0
        verdict = "invariants held"
    summary["verdict"] = verdict
    print("\n==== waiting-room invariants ====")
    print(json.dumps(summary, indent=2))
    if REPORT_DIR:
        os.makedirs(REPORT_DIR, exist_ok=True)
        with open(os.path.join(REPORT_DIR, f"locust-{RUN_ID}-invariants.json"), "w") as f:
            json.dump(summary, f, indent=2)
