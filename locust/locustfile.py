"""Bot swarm for the waiting room: realistic personas that also check the invariants.

Run it through `npm run load` (headless) or `npm run load:ui` (web UI); see
locust/README.md. Environment knobs (all optional):

  LINES            comma-separated coupon codes the bots queue for (default C0001)
  MAX_JOURNEY_S    a bot gives up waiting after this long (default 90)
  MAX_FAIL_RATIO   failures tolerated before the exit code turns 1 (default 0.01)
  LOAD_REPORT_DIR  where the invariant summary JSON is written (default: none)
  PREQUEUE         1: the pre-queue drill (scripts/load.sh sets it): the PrequeueCrowd
                   persona joins PREQUEUE_LINE's pre-queue before it opens (load.sh
                   names the class, so the other personas stay out of it); otherwise
                   PrequeueCrowd is abstract and the default swarm is unchanged
  PREQUEUE_LINE    the scheduled line the crowd joins (default: the first of LINES)
  PREQUEUE_JOIN_MARGIN_S  the last bot joins this long before opensAt (default 3)

Exit codes (set in the quitting hook): 0 fine; 1 too many failed requests;
3 an invariant broke (any 5xx, more 201s than stock, a forged or cancelled
ticket served, one user served twice; the crowd: two places for one user, a
pre-queue ticket moved or refused, the published draw not reproduced).
In the drill, 1 also when a bot did not join before the opening or did not
reach a defined outcome (201, 410 sold out) in time.
"""

from __future__ import annotations

import json
import logging
import os
import random
import time
import urllib.error
import urllib.request
import uuid as uuidlib
from typing import Any

import gevent
from gevent.lock import Semaphore
from locust import FastHttpUser, between, constant, events, task
from locust.runners import MasterRunner, WorkerRunner

from invariants import (
    Ledger,
    check_draw,
    check_numbers,
    crowd_shortfall,
    flip_signature,
    prequeue_answer,
    server_error_breaks,
    tamper_payload,
)

log = logging.getLogger("waiting-room")

LINES = [c.strip() for c in os.environ.get("LINES", "C0001").split(",") if c.strip()]
KNOWN_CODES = ["A0001", "B0001", "C0001"]
MAX_JOURNEY_S = float(os.environ.get("MAX_JOURNEY_S", "90"))
MAX_FAIL_RATIO = float(os.environ.get("MAX_FAIL_RATIO", "0.01"))
REPORT_DIR = os.environ.get("LOAD_REPORT_DIR", "")
RUN_ID = os.environ.get("LOAD_RUN_ID") or uuidlib.uuid4().hex[:8]
TICKET_HEADER = "X-Queue-Ticket"
PREQUEUE = os.environ.get("PREQUEUE") == "1"
PREQUEUE_LINE = os.environ.get("PREQUEUE_LINE") or LINES[0]
JOIN_MARGIN_S = float(os.environ.get("PREQUEUE_JOIN_MARGIN_S", "3"))
PREQUEUE_NAME = "prequeue: "

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


def fail_check(name: str, why: str) -> None:
    """A failed check that is not one request's answer: a CHECK row in the stats."""
    events.request.fire(request_type="CHECK", name=name, response_time=0, response_length=0,
                        exception=Exception(why), context={})


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


class PrequeueCrowd(Bot):
    """A crowd that arrives before a scheduled line opens (the pre-queue), waits through the draw and
    is served. One journey per bot; `PREQUEUE=1 npm run load` (scripts/load.sh) is the drill around it.

    Each bot: reads the line's schedule (GET /api/lines/{code}/draw, public); arrives at a random moment
    between its start and PREQUEUE_JOIN_MARGIN_S before opensAt; sends its first request twice at once
    (a double click: both answers must name the same ticket); polls with its pre-queue ticket as told
    (pollAfterMs, else Retry-After; a 503 waits Retry-After) through the draw until it has its place in
    the line; then sends a first request again without its ticket (one place per person: the same
    ticket back); and polls on to 201 (or 410 sold out). It learns where the draw placed it from the
    first 307 after the draw or, when it was admitted at once, from its ticket's status afterwards.
    """

    abstract = not PREQUEUE
    weight = 1
    wait_time = constant(1)

    def on_start(self) -> None:
        self.journeyed = False

    @task
    def join_before_the_opening(self) -> None:
        if self.journeyed:
            return  # one journey per bot; the drill stops the swarm once every bot is done
        self.journeyed = True
        outcome = "error"
        try:
            outcome = self.journey()
        finally:
            ledger.pre_outcome(outcome)

    # ---- the schedule, read once per process ----

    def schedule(self) -> dict[str, Any] | None:
        with schedule_lock:
            if "draw" not in prequeue:
                with self.client.get(f"/api/lines/{PREQUEUE_LINE}/draw", name=f"{PREQUEUE_NAME}draw (public)",
                                     catch_response=True) as resp:
                    body = json_body(resp)
                    if resp.status_code == 200 and isinstance(body, dict) and body.get("status") == "scheduled":
                        resp.success()
                        prequeue["draw"] = body
                    else:
                        resp.failure(f"line {PREQUEUE_LINE} is not scheduled: {resp.status_code} {str(body)[:200]}")
                        prequeue["draw"] = None
            return prequeue["draw"]

    # ---- requests ----

    def post_issue(self, user: str, name: str, ticket: str | None) -> Any:
        """`with self.post_issue(...) as resp:` the issue request, judged inside the block."""
        return self.client.post(f"/api/coupons/{PREQUEUE_LINE}/issue", json={"userId": user},
                                headers={TICKET_HEADER: ticket} if ticket else {}, name=f"{PREQUEUE_NAME}{name}",
                                allow_redirects=False, catch_response=True)

    @staticmethod
    def come_back_later(resp: Any, until: float) -> bool:
        """A 503 with Retry-After (before `until`): a defined answer; waits as told. True: ask again."""
        if resp.status_code == 503 and resp.headers.get("Retry-After") and time.time() < until:
            resp.success()
            ledger.pre_count("503 + Retry-After, asked again")
            gevent.sleep(wait_hint(resp, None))
            return True
        return False

    def join(self, user: str, label: str, until: float) -> dict[str, Any] | None:
        """A first request (no ticket): expects a 307 naming the one place this person holds."""
        while True:
            with self.post_issue(user, label, None) as resp:
                if self.come_back_later(resp, until):
                    continue
                body = json_body(resp)
                if resp.status_code != 307:
                    resp.failure(f"{label}: expected 307, got {resp.status_code}: {str(body)[:200]}")
                    return None
                problem = None if isinstance(body, dict) and {"uuid", "partition", "offset", "ticket"} <= body.keys() \
                    else "307 body lacks uuid/partition/offset/ticket"
                if not problem and resp.headers.get(TICKET_HEADER) != body["ticket"]:
                    problem = "X-Queue-Ticket header differs from the body's ticket"
                if problem:
                    resp.failure(f"{label}: {problem}")
                    return None
                if not ledger.one_place(PREQUEUE_LINE, user, body["uuid"]):
                    resp.failure(f"{label}: a second place for the same person")
                    return None
                resp.success()
                return body

    def journey(self) -> str:
        draw = self.schedule()
        if not draw:
            return "line not scheduled"
        opens_at = draw["opensAt"] / 1000
        cutoff = opens_at - JOIN_MARGIN_S
        gevent.sleep(random.uniform(0, max(0.0, cutoff - time.time())))
        user = self.new_user("crowd")
        line = PREQUEUE_LINE
        deadline = opens_at + MAX_JOURNEY_S
        joined_at = time.time()

        # the double request: the same person's first request twice at once, both answers the one place
        clicks = [gevent.spawn(self.join, user, "join (double request)", deadline) for _ in range(2)]
        gevent.joinall(clicks)
        answers = [g.value for g in clicks]
        if not all(answers):
            return "join failed"
        first = answers[0]
        problem = check_numbers(first)
        if problem:
            fail_check("join: a consistent 307", problem)
            return "join failed"
        uuid, ticket = first["uuid"], first["ticket"]
        if "drawAt" in first:
            ledger.pre_entered(uuid, first["partition"], first["offset"])
            measure(f"{PREQUEUE_NAME}joined before the opening", (opens_at - joined_at) * 1000, "ms")
            placed: tuple[int, int] | None = None
        else:
            ledger.pre_count("joined after the opening")
            log.warning("%s joined %s after the opening (no drawAt): it queues behind the draw", user, line)
            placed = (first["partition"], first["offset"])
        joined_again = False

        hint = wait_hint(None, first)
        while time.time() < deadline:
            gevent.sleep(min(hint, max(0.05, deadline - time.time())))
            phase = "placed" if placed else "pre-queue"
            with self.post_issue(user, f"poll ({phase})", ticket) as resp:
                if self.come_back_later(resp, deadline):
                    continue
                body, status = json_body(resp), resp.status_code
                if status == 307:
                    problem = check_numbers(body)
                    if problem:
                        resp.failure(f"poll ({phase}): {problem}")
                        return "failed: bad 307"
                    if body["uuid"] != uuid or not ledger.one_place(line, user, body["uuid"]):
                        resp.failure("poll: the 307 names another ticket than the one polled")
                        return "failed: another ticket"
                    where = (body["partition"], body["offset"])
                    if "drawAt" in body:
                        if placed is not None:
                            ledger.broke("pre-queue ticket moved", f"{uuid} was placed at {placed}, then back in the pre-queue")
                        ledger.pre_entered(uuid, *where)
                    else:
                        if placed is None:
                            placed = where
                            measure(f"{PREQUEUE_NAME}place after the draw", body["ahead"], "ahead")
                        ledger.pre_placed(uuid, *where)
                    resp.success()
                    hint = wait_hint(resp, body)
                else:
                    error = body.get("error") if isinstance(body, dict) else None
                    verdict = prequeue_answer(status, error)
                    if verdict == "final":
                        resp.success()
                        if status == 201:
                            ledger.served_201(line, user, *(placed or (None, None)), time.monotonic())
                            stats_extra["admitted"] += 1
                            measure(f"{PREQUEUE_NAME}opening to 201", max(0.0, time.time() - opens_at) * 1000, "ms")
                            outcome = "issued"
                        else:
                            outcome = str(error).lower().replace("_", " ")
                    elif verdict == "retry":  # a 503 without Retry-After: the 5xx check counts it
                        resp.failure(f"poll ({phase}): 503 without Retry-After")
                        hint = 1.0
                        continue
                    elif verdict == "refused":
                        ledger.broke("pre-queue ticket refused", f"{uuid} ({phase}): {status} {error}")
                        resp.failure(f"poll ({phase}): the ticket was refused: {status} {error}")
                        return f"refused ({status} {error})"
                    else:
                        resp.failure(f"poll ({phase}): unexpected {status}: {str(body)[:200]}")
                        return f"failed ({status} {error})"
            if status == 307:
                if placed and not joined_again:
                    joined_again = True
                    again = self.join(user, "join again (placed)", time.time() + 10)
                    if again:
                        ledger.pre_placed(again["uuid"], again["partition"], again["offset"])
                continue
            if placed is None:
                self.read_place(uuid, ticket)
            return outcome
        stats_extra["gave_up"] += 1
        return "gave up"

    def read_place(self, uuid: str, ticket: str) -> None:
        """Admitted at its first poll after the draw: its ticket's status still says where it was placed."""
        with self.client.get(f"/api/queue/tickets/{uuid}", headers={TICKET_HEADER: ticket},
                             name=f"{PREQUEUE_NAME}ticket status (after the outcome)", catch_response=True) as resp:
            body = json_body(resp)
            if resp.status_code != 200 or not isinstance(body, dict) or "drawAt" in body:
                resp.failure(f"ticket status: expected 200 with its place, got {resp.status_code}: {str(body)[:200]}")
                return
            ledger.pre_placed(uuid, body["partition"], body["offset"])
            resp.success()


prequeue: dict[str, Any] = {}
schedule_lock = Semaphore()


# ---- invariants across the run ----


@events.request.add_listener
def on_request(request_type: str, name: str, response: Any = None, **_: Any) -> None:
    status = getattr(response, "status_code", 0) or 0
    if status >= 500:
        retry_after = response.headers.get("Retry-After") if getattr(response, "headers", None) else None
        # the crowd treats a 503 with Retry-After as the contract says: come back later
        if server_error_breaks(status, retry_after, PREQUEUE and name.startswith(PREQUEUE_NAME)):
            ledger.broke("5xx", f"{status} on {request_type} {name}")


def read_stock(host: str) -> dict[str, int]:
    with urllib.request.urlopen(f"{host.rstrip('/')}/api/coupons", timeout=5) as r:  # noqa: S310 - host is the swarm's target
        return {c["code"]: int(c["remaining"]) for c in json.loads(r.read())}


def read_draw(host: str) -> dict[str, Any]:
    """GET /api/lines/{code}/draw (public); {} when the line was never scheduled."""
    try:
        with urllib.request.urlopen(f"{host.rstrip('/')}/api/lines/{PREQUEUE_LINE}/draw", timeout=5) as r:  # noqa: S310
            return json.loads(r.read())
    except urllib.error.HTTPError as e:
        if e.code == 404:
            return {}
        raise


def crowd_size(environment: Any) -> int:
    options = getattr(environment, "parsed_options", None)
    return int(getattr(options, "num_users", 0) or 0)


def stop_when_the_crowd_is_done(environment: Any) -> None:
    """The drill stops by itself: once every bot of the crowd has ended its journey, the run quits."""
    crowd = crowd_size(environment)
    while crowd:
        gevent.sleep(1)
        if ledger.pre_finished >= crowd:
            log.info("every bot of the crowd (%d) ended its journey: stopping", crowd)
            environment.runner.quit()
            return


@events.test_start.add_listener
def on_test_start(environment: Any, **_: Any) -> None:
    if isinstance(environment.runner, WorkerRunner) or not environment.host:
        return
    try:
        ledger.stock_at_start.update(read_stock(environment.host))
        log.info("stock at start: %s; lines: %s; run id %s", ledger.stock_at_start, LINES, RUN_ID)
    except Exception as e:  # noqa: BLE001 - without it only the stock check is lost; say so
        log.warning("could not read the stock at start (%s): the 'more 201s than stock' check is off", e)
    if PREQUEUE:
        try:
            before = read_draw(environment.host)
        except Exception as e:  # noqa: BLE001 - reported in the summary
            before = {"error": str(e)}
        prequeue["before"] = before
        if before.get("status") == "scheduled":
            log.info("pre-queue drill: %s opens at %s, commitment %s, crowd of %d", PREQUEUE_LINE,
                     time.strftime("%H:%M:%S", time.localtime(before["opensAt"] / 1000)), before["commitment"],
                     crowd_size(environment))
        else:
            log.error("pre-queue drill: line %s is not scheduled (%s): schedule it first (PREQUEUE=1 npm run load does)",
                      PREQUEUE_LINE, before)
        gevent.spawn(stop_when_the_crowd_is_done, environment)


@events.report_to_master.add_listener
def on_report_to_master(data: dict[str, Any], **_: Any) -> None:
    data["waiting_room"] = ledger.drain()


@events.worker_report.add_listener
def on_worker_report(data: dict[str, Any], **_: Any) -> None:
    if "waiting_room" in data:
        ledger.merge(data["waiting_room"])


def prequeue_summary(environment: Any) -> dict[str, Any]:
    """The crowd's figures and the published draw checked against them (its problems are breaks)."""
    before = prequeue.get("before") or {}
    try:
        after = read_draw(environment.host)
    except Exception as e:  # noqa: BLE001 - reported
        after = {"error": str(e)}
    commitment_before = before.get("commitment") if before.get("status") == "scheduled" else None
    draw = check_draw(after, commitment_before, dict(ledger.pre_entry), dict(ledger.pre_place))
    for problem in draw["problems"]:
        ledger.broke("published draw not reproduced", problem)
    if commitment_before is None:
        draw["notes"].append("the line was not scheduled when the swarm started: no commitment to hold the seed to")
    crowd = crowd_size(environment)
    persons = len({user for (line, user) in ledger.pre_uuid if line == PREQUEUE_LINE})
    return {
        "line": PREQUEUE_LINE,
        "opensAt": before.get("opensAt"),
        "commitmentBefore": commitment_before,
        "seed": after.get("seed"),
        "crowd": crowd,
        "persons": persons,
        "joinedBeforeTheOpening": len(ledger.pre_entry),
        "placesSeen": len(ledger.pre_place),
        "outcomes": ledger.pre_outcomes,
        "counts": ledger.pre_counts,
        "draw": draw,
        "shortfall": crowd_shortfall(crowd, ledger.pre_outcomes, ledger.pre_counts, draw["drawn"]),
    }


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
    shortfall: list[str] = []
    if PREQUEUE:
        summary["prequeue"] = prequeue_summary(environment)
        shortfall = summary["prequeue"]["shortfall"]
    if ledger.broken:
        environment.process_exit_code = 3
        verdict = "INVARIANT BROKEN"
    elif shortfall:
        environment.process_exit_code = 1
        verdict = "the pre-queue drill fell short: " + "; ".join(shortfall)
    elif fail_ratio > MAX_FAIL_RATIO:
        environment.process_exit_code = 1
        verdict = f"too many failures ({fail_ratio:.2%} > {MAX_FAIL_RATIO:.2%})"
    else:
        environment.process_exit_code = 0
        verdict = "invariants held"
    summary["verdict"] = verdict
    summary["breaks"], summary["breakExamples"] = ledger.breaks, ledger.break_examples  # the draw check may add some
    print("\n==== waiting-room invariants ====")
    print(json.dumps(summary, indent=2))
    if REPORT_DIR:
        os.makedirs(REPORT_DIR, exist_ok=True)
        with open(os.path.join(REPORT_DIR, f"locust-{RUN_ID}-invariants.json"), "w") as f:
            json.dump(summary, f, indent=2)
