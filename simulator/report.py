"""What happened: the VERIFY outcome, one record per delivery, and the summary."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
import statistics
from typing import Any, Final

# Outcomes of a genuine event's delivery attempt.
ACCEPTED: Final = "accepted"  # 2xx
RETRYING: Final = "retrying"  # not 2xx; Smartcar tries again later
DROPPED: Final = "dropped"  # not 2xx on the last attempt; the event is lost
# Outcomes of an injected fault (a forged or malformed request, sent once).
FAULT_REJECTED: Final = "fault-rejected"  # answered with an expected status
FAULT_OTHER: Final = "fault-other-answer"  # rejected, but not with the expected status
FAULT_ACCEPTED: Final = "fault-accepted"  # 2xx: the receiver took what it must refuse


@dataclass(slots=True)
class Verification:
    """The VERIFY exchange: whether Smartcar would count the webhook as verified."""

    ok: bool
    status: int | None
    latency_ms: float | None
    reason: str
    challenge: str | None = None
    skipped: bool = False

    def to_json(self) -> dict[str, Any]:
        """One JSON report line."""
        return {"type": "verify", **asdict(self)}


@dataclass(slots=True)
class DeliveryRecord:
    """One HTTP request after VERIFY and its answer."""

    seq: int
    event_type: str | None
    event_id: str | None
    delivery_id: str | None
    vehicle_id: str | None
    vehicle: str | None
    label: str
    attempt: int
    attempts: int
    size: int
    status: int | None
    result: str | None
    error: str | None
    latency_ms: float
    outcome: str
    tag: str | None = None
    fault: str | None = None
    expected: tuple[int, ...] | None = None

    @property
    def accepted(self) -> bool:
        """2xx."""
        return self.status is not None and 200 <= self.status < 300  # noqa: PLR2004

    @property
    def answer(self) -> str:
        """The status code, or ``no answer``."""
        return "no answer" if self.status is None else str(self.status)

    def to_json(self) -> dict[str, Any]:
        """One JSON report line."""
        line = {"type": "delivery", **asdict(self)}
        line["expected"] = list(self.expected) if self.expected is not None else None
        return line


@dataclass(slots=True)
class Report:
    """Everything a run did; ``exit_code`` is 0 when the receiver behaved as Smartcar needs."""

    url: str
    scenario: str
    vehicles: int
    verification: Verification
    events: int = 0
    deliveries: list[DeliveryRecord] = field(default_factory=list)
    duration_s: float = 0.0

    @property
    def genuine(self) -> list[DeliveryRecord]:
        """Deliveries of real events (duplicates and reordered ones included), not faults."""
        return [record for record in self.deliveries if record.fault is None]

    @property
    def faults(self) -> list[DeliveryRecord]:
        """Injected forged and malformed requests."""
        return [record for record in self.deliveries if record.fault is not None]

    @property
    def accepted(self) -> int:
        """Genuine deliveries answered 2xx."""
        return sum(record.accepted for record in self.genuine)

    @property
    def rejected(self) -> dict[str, int]:
        """Genuine deliveries not accepted, by status (or ``no answer``)."""
        return dict(Counter(record.answer for record in self.genuine if not record.accepted))

    @property
    def retried(self) -> int:
        """Retry attempts (second and later attempts of an event)."""
        return sum(record.attempt > 1 for record in self.genuine)

    @property
    def dropped(self) -> int:
        """Events given up after the last attempt."""
        return sum(record.outcome == DROPPED for record in self.genuine)

    @property
    def duplicates(self) -> int:
        """Deliveries that resent an event already delivered."""
        return sum(record.tag == "duplicate" and record.attempt == 1 for record in self.genuine)

    @property
    def reordered(self) -> int:
        """Events delivered after a newer event of the same car."""
        return sum(record.tag == "reordered" and record.attempt == 1 for record in self.genuine)

    @property
    def faults_accepted(self) -> list[DeliveryRecord]:
        """Forged or malformed requests the receiver answered 2xx: a receiver bug."""
        return [record for record in self.faults if record.outcome == FAULT_ACCEPTED]

    @property
    def ok(self) -> bool:
        """VERIFY passed, no event was dropped and no injected fault was accepted."""
        verified = self.verification.ok or self.verification.skipped
        return verified and self.dropped == 0 and not self.faults_accepted

    @property
    def exit_code(self) -> int:
        """0 when :attr:`ok`, else 1."""
        return 0 if self.ok else 1

    def summary(self) -> dict[str, Any]:
        """The numbers of the run, as one JSON-friendly object."""
        latencies = [r.latency_ms for r in self.deliveries if r.status is not None]
        faults = self.faults
        return {
            "type": "summary",
            "ok": self.ok,
            "exit_code": self.exit_code,
            "verified": self.verification.ok,
            "verify_skipped": self.verification.skipped,
            "events": self.events,
            "deliveries": len(self.deliveries),
            "sent": len(self.genuine),
            "accepted": self.accepted,
            "rejected": self.rejected,
            "retried": self.retried,
            "dropped": self.dropped,
            "duplicates": self.duplicates,
            "reordered": self.reordered,
            "faults": {
                "injected": len(faults),
                "rejected_as_expected": sum(r.outcome == FAULT_REJECTED for r in faults),
                "other_answer": sum(r.outcome == FAULT_OTHER for r in faults),
                "accepted": len(self.faults_accepted),
                "by_kind": dict(Counter(r.fault for r in faults if r.fault)),
            },
            "latency_ms": _latency(latencies),
            "duration_s": round(self.duration_s, 3),
        }

    def summary_lines(self) -> list[str]:
        """The summary for people."""
        s = self.summary()
        if not self.deliveries and not self.events:
            return [self._verdict()]
        rejected = ", ".join(
            f"{count} x {status}" for status, count in sorted(s["rejected"].items())
        )
        lines = [
            f"Events: {s['events']} ({s['duplicates']} duplicated, {s['reordered']} reordered)",
            f"Deliveries sent: {s['sent']} (+{s['faults']['injected']} injected faults); "
            f"accepted {s['accepted']}; rejected {sum(s['rejected'].values())}"
            + (f" ({rejected})" if rejected else "")
            + f"; retried {s['retried']}; dropped {s['dropped']}",
        ]
        faults = s["faults"]
        if faults["injected"]:
            lines.append(
                f"Injected faults: {faults['injected']}; rejected as expected "
                f"{faults['rejected_as_expected']}; other answer {faults['other_answer']}; "
                f"ACCEPTED {faults['accepted']}"
            )
            lines.extend(
                f"  fault accepted: #{r.seq} {r.fault} answered {r.status} "
                f"(expected {'/'.join(map(str, r.expected or ()))})"
                for r in self.faults_accepted
            )
        silent = sum(r.accepted and r.result is None and r.error is None for r in self.genuine)
        if silent:
            lines.append(
                f"Note: {silent} accepted deliveries had no JSON answer; Home Assistant answers "
                "an empty 200 to an unknown webhook id, so check the URL if that is unexpected"
            )
        latency = s["latency_ms"]
        if latency:
            lines.append(
                f"Latency: median {latency['median']} ms, p95 {latency['p95']} ms, "
                f"max {latency['max']} ms"
            )
        lines.append(self._verdict())
        return lines

    def _verdict(self) -> str:
        reasons = []
        if not (self.verification.ok or self.verification.skipped):
            reasons.append("verification failed")
        if self.dropped:
            reasons.append(f"{self.dropped} event(s) dropped after 4 attempts")
        if self.faults_accepted:
            reasons.append(f"{len(self.faults_accepted)} forged/malformed request(s) accepted")
        verdict = "PASS" if self.ok else "FAIL"
        return f"Result: {verdict}" + (f" ({'; '.join(reasons)})" if reasons else "")


def _latency(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "min": round(ordered[0], 1),
        "median": round(statistics.median(ordered), 1),
        "p95": round(p95, 1),
        "max": round(ordered[-1], 1),
    }
