"""The last RECENT_CONTROLS commands, confirmations and reads of an entry, for diagnostics."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final

from homeassistant.util import dt as dt_util

if TYPE_CHECKING:
    from datetime import datetime

RECENT_CONTROLS: Final = 20

# The kinds of records besides the commands' own names ("lock", "set_charge_limit"...).
REFRESH: Final = "refresh"
CONFIRMING_READ: Final = "confirming_read"


class Outcome(StrEnum):
    """How a command, its wait or a read ended."""

    DONE = "done"  # Smartcar's 200: the car carried the command out
    PENDING = "pending"  # Smartcar's 202: the car is still at it
    CONFIRMED = "confirmed"  # the car's signal showed the state commanded
    NOT_CONFIRMED = "not_confirmed"  # nothing showed it in time
    APPLIED = "applied"  # the signals read were handed on as a delivery
    NO_SIGNALS = "no_signals"  # the read returned none
    FAILED = "failed"  # refused, here or by Smartcar


@dataclass(frozen=True, slots=True)
class ControlRecord:
    """One command, confirmation or read, as diagnostics show it."""

    at: datetime
    vehicle_id: str
    kind: str  # the command, REFRESH or CONFIRMING_READ
    result: Outcome
    request_id: str | None = None  # Smartcar's, to quote to its support
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The record as diagnostics show it."""
        return {
            "at": self.at.isoformat(),
            "vehicle_id": self.vehicle_id,
            "kind": self.kind,
            "result": str(self.result),
            "request_id": self.request_id,
            "error": self.error,
        }


class ControlLog(deque[ControlRecord]):
    """The newest RECENT_CONTROLS records, oldest first."""

    def __init__(self) -> None:
        """Start empty."""
        super().__init__(maxlen=RECENT_CONTROLS)

    def record(
        self,
        vehicle_id: str,
        kind: str,
        result: Outcome,
        request_id: str | None = None,
        error: str | None = None,
    ) -> None:
        """Add what just happened."""
        self.append(ControlRecord(dt_util.utcnow(), vehicle_id, kind, result, request_id, error))
