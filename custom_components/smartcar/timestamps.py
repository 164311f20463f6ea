"""Smartcar's times: reading a timestamp, and the one rule that orders values of a signal.

A value is ordered by the car maker's time, else Smartcar's, else the delivery's
(``ordering_time``); a time too far in the future is not trusted. Plain Python with no
Home Assistant imports.
"""

from __future__ import annotations

from datetime import UTC, datetime
import math
from typing import Any, Final

# Times outside reason are unknown: none before 2000 (no connected car reported earlier;
# a time in seconds, read as milliseconds, falls here), none after 9999 (a time in
# microseconds falls there; Python's datetime ends with that year).
EARLIEST_TIME_MS: Final = 946_684_800_000
LATEST_TIME_MS: Final = 253_402_300_799_000
# A car's clock may run a little ahead; a time further ahead than this orders nothing: it
# would make every later real value look older, and hide it, for good.
FUTURE_TOLERANCE_MS: Final = 10 * 60 * 1000


def ordering_time(
    oem_updated_at: int | None, retrieved_at: int | None, delivered_at: int | None, now_ms: int
) -> int:
    """The time that orders values of one signal; 0 when none is known.

    The car maker's time, else Smartcar's, else the delivery's: a value is never replaced
    by one the car recorded earlier, whenever Smartcar fetched or delivered it. A time
    further in the future than FUTURE_TOLERANCE_MS is not trusted, and the next one counts.
    """
    for moment in (oem_updated_at, retrieved_at, delivered_at):
        if (trusted := trusted_time(moment, now_ms)) is not None:
            return trusted
    return 0


def trusted_time(moment: int | None, now_ms: int) -> int | None:
    """``moment`` unless it lies further in the future than FUTURE_TOLERANCE_MS."""
    return moment if moment is not None and moment <= now_ms + FUTURE_TOLERANCE_MS else None


def parse_timestamp(value: Any) -> int | None:
    """Milliseconds since the epoch from an integer or an ISO-8601 string; else unknown.

    An ISO string without an offset is read as UTC, never in the host's local time zone.
    0 (seen on static attributes) and any time before 2000 or after 9999 are unknown.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        milliseconds = value  # the live shape
    elif isinstance(value, float):
        milliseconds = int(value) if math.isfinite(value) else 0
    elif isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value)
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=UTC)
            milliseconds = int(parsed.timestamp() * 1000)
        except (ValueError, OverflowError):  # no date, or year 1 less a day in UTC
            return None
    else:
        return None
    return milliseconds if EARLIEST_TIME_MS <= milliseconds <= LATEST_TIME_MS else None
