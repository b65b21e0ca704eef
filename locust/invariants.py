"""Invariant bookkeeping shared by every bot of one Locust process.

Kept free of Locust imports so it can be unit-tested (locust/test_invariants.py)
and merged across workers in distributed mode (see ``Ledger.drain`` / ``merge``).

What is checked, and why it is sound under concurrency:

* any 5xx: the gateway owes a 4xx for a client's mistake and a 503 only when a
  dependency is down, which a load run must not cause;
* more 201s than stock: the stock each line had when the swarm started is an
  upper bound on the 201s the swarm can get (other clients only lower it);
* a forged or cancelled ticket served (or, for forged ones, accepted at all);
* one user served twice for one coupon (user ids are unique per run).

FIFO is reported, not enforced: an inversion is a 307 for offset o' on a
partition where a later offset o > o' had already been served (201) before the
307's request started. With one gateway whose view only moves forward that is a
real inversion; with several gateways behind a balancer their views may differ
by one refresh, so it is a warning.
"""

from __future__ import annotations

import base64
import bisect
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
    # what a worker has not yet reported to the master
    _pending: dict[str, Any] = field(default_factory=lambda: {"issued": {}, "served": [], "breaks": {}, "examples": [], "fifo": 0})
    _lock: threading.Lock = field(default_factory=threading.Lock)

    MAX_EXAMPLES = 20

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

    def drain(self) -> dict[str, Any]:
        """What happened since the last drain (a worker's report to the master)."""
        with self._lock:
            out = self._pending
            self._pending = {"issued": {}, "served": [], "breaks": {}, "examples": [], "fifo": 0}
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
