"""Unit tests for timestamps.py: reading Smartcar's times, and the rule that orders values."""

from __future__ import annotations

import time

import pytest

from custom_components.smartcar.timestamps import (
    FUTURE_TOLERANCE_MS,
    ordering_time,
    parse_timestamp,
)

ISO_DELIVERED_MS = 1766996102117
NOW = 1_767_000_000_000
TOLERANCE = FUTURE_TOLERANCE_MS


@pytest.mark.parametrize("zone", ["UTC", "America/New_York", "Asia/Kolkata"])
def test_naive_iso_timestamp_is_read_as_utc_whatever_the_host_zone(
    zone: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", zone)
    time.tzset()
    try:
        assert parse_timestamp("2025-12-29T08:15:02.117") == ISO_DELIVERED_MS
    finally:
        monkeypatch.undo()
        time.tzset()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # Before any connected car: unknown (these made entities fail before).
        ("0001-01-01T00:00:00", None),
        ("0001-01-01T00:00:00-12:00", None),
        ("0001-01-01T00:00:00+14:00", None),  # before year 1 in UTC: no datetime at all
        ("1999-12-31T23:59:59Z", None),
        ("2000-01-01T00:00:00Z", 946684800000),
        ("9999-12-31T23:59:59+14:00", 253402250399000),  # far ahead: see ordering_time
        ("1970-01-01T00:00:00Z", None),  # zero is unknown, as for integers
        ("2025-12-29", 1766966400000),
        ("2025-02-30T00:00:00Z", None),
    ],
)
def test_extreme_iso_timestamps_do_not_crash(value: str, expected: int | None) -> None:
    assert parse_timestamp(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(-1_766_996_102_035, id="negative"),
        pytest.param(1_766_996_102, id="seconds"),
        pytest.param(1_766_996_102_035_000, id="microseconds"),
        pytest.param(253_402_300_800_000, id="year-10000"),
        pytest.param(10**30, id="beyond-64-bits"),
        pytest.param(1e300, id="absurd-float"),
        pytest.param(float("nan"), id="nan"),
        pytest.param(float("inf"), id="infinity"),
        pytest.param("10000-01-01T00:00:00Z", id="iso-year-10000"),
    ],
)
def test_times_outside_reason_are_unknown(value: object) -> None:
    """Times no car reports are unknown: entities show none, ordering ignores them."""
    assert parse_timestamp(value) is None


@pytest.mark.parametrize(
    ("oem", "retrieved", "delivered", "expected"),
    [
        pytest.param(3, 2, 1, 3, id="oem-first"),
        pytest.param(None, 2, 1, 2, id="then-retrieved"),
        pytest.param(None, None, 1, 1, id="then-delivered"),
        pytest.param(None, None, None, 0, id="nothing"),
        pytest.param(1, 5, 9, 1, id="oem-even-if-older"),
        pytest.param(NOW + TOLERANCE, 2, 1, NOW + TOLERANCE, id="oem-a-little-ahead"),
        pytest.param(NOW + TOLERANCE + 1, 2, 1, 2, id="oem-far-ahead-then-retrieved"),
        pytest.param(NOW + 10**12, NOW + 10**12, 1, 1, id="both-far-ahead-then-delivered"),
        pytest.param(NOW + 10**12, None, NOW + 10**12, 0, id="all-far-ahead"),
    ],
)
def test_ordering_time(
    oem: int | None, retrieved: int | None, delivered: int | None, expected: int
) -> None:
    """The car maker's time first; a time far in the future orders nothing."""
    assert ordering_time(oem, retrieved, delivered, NOW) == expected
