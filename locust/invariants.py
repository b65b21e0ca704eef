"""Invariant bookkeeping shared by every bot of one Locust process.

Kept free of Locust imports so it can be unit-tested (locust/test_invariants.py)
and merged across workers in distributed mode (see ``Ledger.drain`` / ``merge``).

What is checked, and why it is sound under concurrency:

* any 5xx: the gateway owes a 4xx for a client's mistake and a 503 only when a
  dependency is down, which a load run must not cause;
* more 201s than stock: the stock each line had when the swarm started is an
  upper bound on the 201s the swarm can get (other clients only lower it);
* a forged or cancelled ticket served (or, for forged ones, accepted at all);
* one user served twice for one coupon (user ids are unique per run);
* the pre-queue crowd (PrequeueCrowd, the drill of scripts/load.sh): one place
  per person (every answer to a user names the same ticket uuid, whether it
  came from a double first request, a poll or a first request sent again after
  the draw), a pre-queue ticket never moves once placed and is never refused,
  and the published draw is checked from outside: SHA-256(seed) is the
  commitment published before the opening, and when the swarm holds every
  entrant the seed reproduces the order the crowd found itself in.

FIFO is reported, not enforced: an inversion is a 307 for offset o' on a
partition where a later offset o > o' had already been served (201) before the
307's request started. With one gateway whose view only moves forward that is a
real inversion; with several gateways behind a balancer their views may differ
by one refresh, so it is a warning.
"""

from __future__ import annotations

import base64
import bisect
import hashlib
import hmac
import json
import threading
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Ledger:
    stock_at_start: dict[str, int] = field(default_factory=dict)
    issued: dict[str, int] = field(default_factory=dict)
    served: set[tuple[str, str]] = field(default_factory=set)
    breaks: dict[str, int] = field(default_factory=dict)
    break_examples: list[str] = field(default_factory=list)
    fifo_inversions: int = 0
    # (line, partition) -> sorted (served_at, running max offset served by then)
    _served_offsets: dict[tuple[str, int], list[tuple[float, int]]] = field(default_factory=dict)
    # the pre-queue crowd: (line, user) -> the one ticket uuid it holds; uuid ->
    # its pre-queue record (partition, offset); uuid -> its place in the line
    # after the draw; how the journeys ended
    pre_uuid: dict[tuple[str, str], str] = field(default_factory=dict)
    pre_entry: dict[str, tuple[int, int]] = field(default_factory=dict)
    pre_place: dict[str, tuple[int, int]] = field(default_factory=dict)
    pre_outcomes: dict[str, int] = field(default_factory=dict)
    pre_counts: dict[str, int] = field(default_factory=dict)
    # what a worker has not yet reported to the master
    _pending: dict[str, Any] = field(default_factory=lambda: Ledger._empty_pending())
    _lock: threading.Lock = field(default_factory=threading.Lock)

    MAX_EXAMPLES = 20

    @staticmethod
    def _empty_pending() -> dict[str, Any]:
        return {"issued": {}, "served": [], "breaks": {}, "examples": [], "fifo": 0,
                "pre_uuid": [], "pre_entry": [], "pre_place": [], "pre_outcomes": {}, "pre_counts": {}}

    def broke(self, kind: str, detail: str) -> None:
        with self._lock:
            self.breaks[kind] = self.breaks.get(kind, 0) + 1
            self._pending["breaks"][kind] = self._pending["breaks"].get(kind, 0) + 1
            if len(self.break_examples) < self.MAX_EXAMPLES:
                self.break_examples.append(f"{kind}: {detail}")
                self._pending["examples"].append(f"{kind}: {detail}")

    def served_201(self, line: str, user: str, partition: int | None, offset: int | None, at: float) -> None:
        """Records a 201; flags a user served twice and more 201s than stock."""
        with self._lock:
            self.issued[line] = self.issued.get(line, 0) + 1
            self._pending["issued"][line] = self._pending["issued"].get(line, 0) + 1
            twice = (line, user) in self.served
            self.served.add((line, user))
            self._pending["served"].append([line, user])
            over = line in self.stock_at_start and self.issued[line] > self.stock_at_start[line]
            count = self.issued[line]
            if partition is not None and offset is not None:
                series = self._served_offsets.setdefault((line, partition), [])
                running = max(offset, series[-1][1]) if series else offset
                # served_at is monotonic per process, so appending keeps the list sorted
                series.append((at, running))
        if twice:
            self.broke("user served twice", f"{user} got a second 201 for {line}")
        if over:
            self.broke("more 201s than stock", f"{count} issued for {line}, stock was {self.stock_at_start[line]}")

    def waiting_307(self, line: str, partition: int, offset: int, request_started: float) -> bool:
        """Records a 307 for (partition, offset); True when it is a FIFO inversion."""
        with self._lock:
            series = self._served_offsets.get((line, partition))
            if not series:
                return False
            i = bisect.bisect_left(series, (request_started, -1)) - 1
            inverted = i >= 0 and series[i][1] > offset
            if inverted:
                self.fifo_inversions += 1
                self._pending["fifo"] += 1
            return inverted

    # ---- the pre-queue crowd ----

    def one_place(self, line: str, user: str, uuid: str, report: bool = True) -> bool:
        """Every answer naming a ticket for (line, user) must name the same uuid; False (and a break) otherwise."""
        with self._lock:
            held = self.pre_uuid.setdefault((line, user), uuid)
            if report:
                self._pending["pre_uuid"].append([line, user, uuid])
        if held != uuid:
            self.broke("two places for one user", f"{user} on {line} holds {held} and was given {uuid}")
            return False
        return True

    def _pin(self, table: dict[str, tuple[int, int]], pending: str, kind: str, uuid: str, partition: int,
             offset: int, report: bool) -> bool:
        with self._lock:
            held = table.setdefault(uuid, (partition, offset))
            if report:
                self._pending[pending].append([uuid, partition, offset])
        if held != (partition, offset):
            self.broke("pre-queue ticket moved", f"{uuid}: {kind} {held[0]}:{held[1]}, then {partition}:{offset}")
            return False
        return True

    def pre_entered(self, uuid: str, partition: int, offset: int, report: bool = True) -> bool:
        """The ticket's record in the pre-queue topic (what the draw shuffles); it never changes."""
        return self._pin(self.pre_entry, "pre_entry", "pre-queue record", uuid, partition, offset, report)

    def pre_placed(self, uuid: str, partition: int, offset: int, report: bool = True) -> bool:
        """The ticket's place in the line after the draw; it never changes either."""
        return self._pin(self.pre_place, "pre_place", "placed at", uuid, partition, offset, report)

    def _add(self, table: str, kind: str, n: int, report: bool) -> None:
        with self._lock:
            counts = getattr(self, table)
            counts[kind] = counts.get(kind, 0) + n
            if report:
                self._pending[table][kind] = self._pending[table].get(kind, 0) + n

    def pre_outcome(self, kind: str, n: int = 1, report: bool = True) -> None:
        """How a crowd journey ended (issued, sold out, gave up, ...): once per bot."""
        self._add("pre_outcomes", kind, n, report)

    def pre_count(self, kind: str, n: int = 1, report: bool = True) -> None:
        """Anything else worth counting about the crowd (joined after the opening, 503s retried, ...)."""
        self._add("pre_counts", kind, n, report)

    @property
    def pre_finished(self) -> int:
        """Crowd journeys that ended, whichever way."""
        return sum(self.pre_outcomes.values())

    def drain(self) -> dict[str, Any]:
        """What happened since the last drain (a worker's report to the master)."""
        with self._lock:
            out = self._pending
            self._pending = self._empty_pending()
            return out

    def merge(self, report: dict[str, Any]) -> None:
        """Master side: folds a worker's drained report in, re-checking cross-worker invariants."""
        for kind, n in report.get("breaks", {}).items():
            with self._lock:
                self.breaks[kind] = self.breaks.get(kind, 0) + n
        for example in report.get("examples", []):
            if len(self.break_examples) < self.MAX_EXAMPLES:
                self.break_examples.append(example)
        self.fifo_inversions += int(report.get("fifo", 0))
        duplicates: list[tuple[str, str]] = []
        with self._lock:
            for line, n in report.get("issued", {}).items():
                self.issued[line] = self.issued.get(line, 0) + n
            for line, user in report.get("served", []):
                if (line, user) in self.served:
                    duplicates.append((line, user))
                self.served.add((line, user))
        for line, user in duplicates:
            self.broke("user served twice", f"{user} got 201s from two workers for {line}")
        for line, stock in self.stock_at_start.items():
            if self.issued.get(line, 0) > stock and "more 201s than stock" not in self.breaks:
                self.broke("more 201s than stock", f"{self.issued[line]} issued for {line}, stock was {stock}")
        # the pre-queue crowd, re-checked across workers (a user's bots may run on two of them)
        for line, user, uuid in report.get("pre_uuid", []):
            self.one_place(line, user, uuid, report=False)
        for uuid, partition, offset in report.get("pre_entry", []):
            self.pre_entered(uuid, partition, offset, report=False)
        for uuid, partition, offset in report.get("pre_place", []):
            self.pre_placed(uuid, partition, offset, report=False)
        for kind, n in report.get("pre_outcomes", {}).items():
            self.pre_outcome(kind, n, report=False)
        for kind, n in report.get("pre_counts", {}).items():
            self.pre_count(kind, n, report=False)

    @property
    def broken(self) -> bool:
        return bool(self.breaks)


def b64url_decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def b64url_encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def flip_signature(ticket: str) -> str:
    """Changes one character in the middle of the last dot-separated part (the signature of a JWS)."""
    head, sep, sig = ticket.rpartition(".")
    target = sig if sig else ticket
    i = len(target) // 2
    swapped = "A" if target[i] != "A" else "B"
    changed = target[:i] + swapped + target[i + 1 :]
    return f"{head}{sep}{changed}" if sig else changed


def tamper_payload(ticket: str) -> str:
    """Moves the ticket forward in line: a JWS payload with a smaller offset, the signature kept.

    Falls back to flipping a character of the middle part when the payload is
    not base64url JSON (the ticket format is the gateway's to choose).
    """
    parts = ticket.split(".")
    if len(parts) != 3:
        return flip_signature(ticket)
    try:
        claims = json.loads(b64url_decode(parts[1]))
    except (ValueError, UnicodeDecodeError):
        claims = None
    if isinstance(claims, dict):
        for key in ("offset", "off", "o", "partition", "p"):
            if isinstance(claims.get(key), int):
                claims[key] = max(0, claims[key] - 1) if claims[key] > 0 else claims[key] + 1
                break
        else:
            claims["userId"] = f"{claims.get('userId', '')}x"
        parts[1] = b64url_encode(json.dumps(claims, separators=(",", ":")).encode())
        return ".".join(parts)
    mid = parts[1]
    i = len(mid) // 2
    parts[1] = mid[:i] + ("A" if mid[i] != "A" else "B") + mid[i + 1 :]
    return ".".join(parts)


def check_numbers(body: Any) -> str | None:
    """Why a 307 body breaks the contract's arithmetic, or None when it is consistent."""
    keys = ("uuid", "partition", "offset", "committedOffset", "endOffset", "ahead", "behind", "etaSeconds", "pollAfterMs", "ticket")
    if not isinstance(body, dict):
        return "307 body is not a JSON object"
    missing = [k for k in keys if k not in body]
    if missing:
        return f"307 body lacks {', '.join(missing)}"
    offset, committed, ahead, behind = body["offset"], body["committedOffset"], body["ahead"], body["behind"]
    if not all(isinstance(v, int) for v in (offset, committed, ahead, behind, body["endOffset"], body["partition"])):
        return "307 numbers are not integers"
    if offset < committed:
        return f"307 for an admitted ticket (offset {offset} < committedOffset {committed})"
    if ahead < 0 or behind < 0:
        return f"negative ahead/behind ({ahead}/{behind})"
    if ahead > offset - committed:
        return f"ahead {ahead} > offset - committedOffset {offset - committed}"
    return None


# ---- the pre-queue draw, re-run from what the waiting room publishes ----


def server_error_breaks(status: int, retry_after: str | None, tolerate_503: bool) -> bool:
    """Whether a response breaks "no 5xx": a 503 with Retry-After is an answer where tolerated (the crowd)."""
    if status < 500:
        return False
    return not (tolerate_503 and status == 503 and bool(retry_after))


def prequeue_answer(status: int, error: str | None) -> str:
    """What a pre-queue holder makes of a non-307 answer to a poll with its ticket.

    ``final``: a defined end of the journey (201 issued, 410 sold out or the
    line ended); ``retry``: 503, come back after Retry-After; ``refused``: the
    ticket was refused or dropped although its holder did everything as told
    (an invariant break); ``failure``: any other deviation from the contract.
    """
    if status == 201 or (status == 410 and error in ("SOLD_OUT", "LINE_ENDED")):
        return "final"
    if status == 503:
        return "retry"
    if status in (401, 403, 404) or status == 410:
        return "refused"
    return "failure"


def draw_commitment(seed_hex: str) -> str:
    """SHA-256 of the seed's bytes, hex (libs/queue/src/draw.ts drawCommitment)."""
    return hashlib.sha256(bytes.fromhex(seed_hex)).hexdigest()


class _SeedStream:
    """HMAC-SHA256(seed, u64be counter), cut into big-endian 32-bit words (libs/queue/src/draw.ts)."""

    def __init__(self, seed_hex: str) -> None:
        self.key = bytes.fromhex(seed_hex)
        self.counter = 0
        self.words: list[int] = []

    def next32(self) -> int:
        if not self.words:
            out = hmac.new(self.key, self.counter.to_bytes(8, "big"), hashlib.sha256).digest()
            self.counter += 1
            self.words = [int.from_bytes(out[i : i + 4], "big") for i in range(0, 32, 4)]
        return self.words.pop(0)

    def uniform(self, n: int) -> int:
        limit = (2**32 // n) * n
        while True:
            x = self.next32()
            if x < limit:
                return x % n


def draw_order(seed_hex: str, entrants: list[tuple[int, int, str]]) -> list[str]:
    """The entrants' uuids in drawn order: Fisher-Yates over (partition, offset, uuid) sorted by
    (partition, offset), from the last position down, j = uniform(i + 1). A port of drawOrder in
    libs/queue/src/draw.ts, so that the published seed is checked with code the waiting room does not run."""
    order = sorted(entrants, key=lambda e: (e[0], e[1]))
    stream = _SeedStream(seed_hex)
    for i in range(len(order) - 1, 0, -1):
        j = stream.uniform(i + 1)
        order[i], order[j] = order[j], order[i]
    return [e[2] for e in order]


def check_draw(published: dict[str, Any], commitment_before: str | None, entry: dict[str, tuple[int, int]],
               place: dict[str, tuple[int, int]]) -> dict[str, Any]:
    """Checks a line's published draw (GET /api/lines/{code}/draw after the opening) against what the crowd saw.

    ``entry``: each crowd ticket's pre-queue record (partition, offset) for those that joined before the
    opening; ``place``: where each one was placed in the line. Returns ``problems`` (each an invariant
    break: the seed does not open the commitment, or the crowd's places contradict the order the seed
    gives), ``notes`` (what could not be checked, and why) and ``reproduced``: True when the seed
    reproduced the order of every placed ticket, None when it could not be checked from outside (the
    crowd does not hold every entrant; ``npm run audit:draw`` checks it from Kafka).
    """
    problems: list[str] = []
    notes: list[str] = []
    out: dict[str, Any] = {"drawn": False, "problems": problems, "notes": notes, "reproduced": None,
                           "entrants": published.get("entrants"), "crowdEntrants": len(entry),
                           "placedChecked": 0}
    if published.get("status") != "done" or not published.get("seed"):
        notes.append(f"the line has not drawn (status {published.get('status')!r})")
        return out
    out["drawn"] = True
    seed, commitment = str(published["seed"]), str(published.get("commitment"))
    try:
        opened = draw_commitment(seed)
    except ValueError:
        problems.append("the published seed is not hex")
        return out
    if opened != commitment:
        problems.append(f"SHA-256(seed) {opened} is not the published commitment {commitment}")
    if commitment_before is not None and commitment_before != commitment:
        problems.append(f"the commitment changed: {commitment_before} before the opening, {commitment} after it")
    if published.get("entrants") != len(entry):
        notes.append(f"the draw had {published.get('entrants')} entrants and the crowd holds {len(entry)}: "
                     "the order cannot be re-run from outside (npm run audit:draw re-runs it from Kafka)")
        return out
    order = draw_order(seed, [(p, o, u) for u, (p, o) in entry.items()])
    # the draw appends in its order: in each partition of the line, offsets grow along it
    last: dict[int, tuple[int, str]] = {}
    checked = 0
    for uuid in order:
        if uuid not in place:
            continue
        partition, offset = place[uuid]
        checked += 1
        prev = last.get(partition)
        if prev is not None and offset <= prev[0]:
            problems.append(f"{uuid} was placed at {partition}:{offset}, ahead of {prev[1]} at "
                            f"{partition}:{prev[0]}, which the seed draws before it")
        last[partition] = (offset, uuid)
    out["placedChecked"] = checked
    unplaced = len(order) - checked
    if unplaced:
        notes.append(f"{unplaced} entrant(s) never learnt their place (the order is checked for the rest)")
    out["reproduced"] = None if checked == 0 else not any("placed at" in p for p in problems)
    return out


FINAL_OUTCOMES = ("issued", "sold out", "line ended")


def crowd_shortfall(crowd: int, outcomes: dict[str, int], counts: dict[str, int], drawn: bool) -> list[str]:
    """Why the drill did not do what it promises although no invariant broke (exit code 1): a bot that
    joined after the opening, a journey that ended without a defined outcome, bots that never finished,
    a line that did not draw."""
    why = []
    if not drawn:
        why.append("the line did not draw")
    late = counts.get("joined after the opening", 0)
    if late:
        why.append(f"{late} bot(s) joined after the opening")
    undefined = {k: n for k, n in outcomes.items() if k not in FINAL_OUTCOMES}
    if undefined:
        why.append("journeys without a defined outcome: " + ", ".join(f"{k} {n}" for k, n in sorted(undefined.items())))
    finished = sum(outcomes.values())
    if finished < crowd:
        why.append(f"{crowd - finished} of {crowd} bots did not finish")
    return why
