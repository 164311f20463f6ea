"""How many API calls each vehicle cost this calendar month (UTC), and a limit before Smartcar's.

Plain Python, no Home Assistant imports. Smartcar's plans limit the calls per vehicle and
month (the free plan about 500; going over is HTTP 430 ``BILLING:VEHICLE_REQUEST_LIMIT``).
The client counts every request it sends about a vehicle (signal reads, commands, the VIN)
here before sending it, and a call that would go over the limit is refused here, with how
many calls are left and when the month ends, instead of costing a 430. Webhook deliveries
are not calls. The counts are JSON-safe (:meth:`MonthlyCallCounter.as_dict`) so they can
be kept in a Store across restarts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Final, Self

from .api_errors import SmartcarBillingError

# The free plan's calls per vehicle and month (API-v3.md section 2).
DEFAULT_MONTHLY_CALL_LIMIT: Final = 500

type UtcClock = Callable[[], datetime]


def utc_now() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


class CallLimitReachedError(SmartcarBillingError):
    """The vehicle's calls this month are used up as counted here: nothing was sent."""

    def __init__(self, vehicle_id: str, *, used: int, limit: int, month_ends_at: datetime) -> None:
        """Say how many calls were used of how many, and when the count starts again."""
        super().__init__(
            f"{used} of {limit} calls this month are used for vehicle {vehicle_id}; "
            f"the count starts again on {month_ends_at:%Y-%m-%d %H:%M} UTC"
        )
        self.vehicle_id = vehicle_id
        self.used = used
        self.limit = limit
        self.calls_left = max(0, limit - used)
        self.month_ends_at = month_ends_at


class MonthlyCallCounter:
    """The calls of each vehicle in the current calendar month (UTC), up to a limit."""

    def __init__(
        self, limit: int = DEFAULT_MONTHLY_CALL_LIMIT, *, clock: UtcClock = utc_now
    ) -> None:
        """Count up to ``limit`` calls per vehicle and month; ``clock`` tells the time."""
        if limit < 0:
            msg = f"A monthly call limit cannot be negative: {limit}"
            raise ValueError(msg)
        self._limit = limit
        self._clock = clock
        self._month = _month_of(clock())
        self._calls: dict[str, int] = {}

    @property
    def limit(self) -> int:
        """The calls allowed per vehicle and month."""
        return self._limit

    def calls_used(self, vehicle_id: str) -> int:
        """The calls the vehicle cost this month."""
        self._roll_over()
        return self._calls.get(vehicle_id, 0)

    def calls_left(self, vehicle_id: str) -> int:
        """The calls the vehicle may still cost this month."""
        return max(0, self._limit - self.calls_used(vehicle_id))

    def month_starts_at(self) -> datetime:
        """When the current month, and every count, started (UTC)."""
        self._roll_over()
        year, month = self._month
        return datetime(year, month, 1, tzinfo=UTC)

    def month_ends_at(self) -> datetime:
        """When the current month ends and every count starts again (UTC)."""
        self._roll_over()
        year, month = self._month
        return datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)

    def spend(self, vehicle_id: str, calls: int = 1) -> None:
        """Count ``calls`` about to be sent; refused if they would go over the limit.

        Raises ``CallLimitReachedError`` (nothing is counted then).
        """
        used = self.calls_used(vehicle_id)
        if used + calls > self._limit:
            raise CallLimitReachedError(
                vehicle_id, used=used, limit=self._limit, month_ends_at=self.month_ends_at()
            )
        self._calls[vehicle_id] = used + calls

    def exhaust(self, vehicle_id: str) -> None:
        """Smartcar said the vehicle's calls are used up: none more this month."""
        self._calls[vehicle_id] = max(self.calls_used(vehicle_id), self._limit)

    def as_dict(self) -> dict[str, Any]:
        """The counts as JSON-safe data: ``{"month": "YYYY-MM", "calls": {vehicle: n}}``."""
        self._roll_over()
        return {"month": _month_key(self._month), "calls": dict(self._calls)}

    @classmethod
    def from_dict(
        cls,
        data: Mapping[str, Any],
        limit: int = DEFAULT_MONTHLY_CALL_LIMIT,
        *,
        clock: UtcClock = utc_now,
    ) -> Self:
        """The counter ``as_dict`` stored; counts of another month, or malformed, are gone."""
        counter = cls(limit, clock=clock)
        calls = data.get("calls")
        if data.get("month") == _month_key(counter._month) and isinstance(calls, dict):
            counter._calls = {
                vehicle_id: count
                for vehicle_id, count in calls.items()
                if isinstance(vehicle_id, str)
                and isinstance(count, int)
                and not isinstance(count, bool)
                and count > 0
            }
        return counter

    def _roll_over(self) -> None:
        """A new month starts every count again."""
        month = _month_of(self._clock())
        if month != self._month:
            self._month = month
            self._calls = {}


def _month_of(moment: datetime) -> tuple[int, int]:
    utc = moment.astimezone(UTC)
    return utc.year, utc.month


def _month_key(month: tuple[int, int]) -> str:
    return f"{month[0]:04d}-{month[1]:02d}"
