"""The per-vehicle monthly call counter (monthly_call_counter.py), alone and in the client."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
import json
from typing import Any

from aiohttp import ClientSession
import pytest
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from custom_components.smartcar.api import CONTROL_SCOPES, DEFAULT_SCOPES, SmartcarClient
from custom_components.smartcar.api_errors import SmartcarBillingError, SmartcarServerError
from custom_components.smartcar.api_transport import MAX_ATTEMPTS, PAGE_SIZE
from custom_components.smartcar.monthly_call_counter import (
    DEFAULT_MONTHLY_CALL_LIMIT,
    CallLimitReachedError,
    MonthlyCallCounter,
)
from tests.conftest import EV_ID, ICE_ID
from tests.smartcar_api import (
    SMARTCAR_WEBHOOK_ID,
    error_body,
    mock_api,
    mock_command,
    page,
)

from .conftest import CALLBACK, SIGNALS_URL, Sleeps, by_page, signal, token_getter


class UtcClock:
    """A wall clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        """Start at ``now``."""
        self.now = now

    def __call__(self) -> datetime:
        """The current time."""
        return self.now


@pytest.fixture
def utc_clock() -> UtcClock:
    """Mid-December 2026, UTC."""
    return UtcClock(datetime(2026, 12, 15, 9, 30, tzinfo=UTC))


def counted_client(
    session: ClientSession, sleeps: Sleeps, counter: MonthlyCallCounter
) -> SmartcarClient:
    """A client that may send commands and counts its calls with ``counter``."""
    return SmartcarClient(
        session,
        token_getter(),
        "user",
        scopes=[*DEFAULT_SCOPES, *CONTROL_SCOPES],
        sleep=sleeps,
        call_counter=counter,
    )


# --- The counter --------------------------------------------------------------------------


def test_counts_each_vehicle(utc_clock: UtcClock) -> None:
    """Calls are counted per vehicle, from the free plan's 500."""
    counter = MonthlyCallCounter(clock=utc_clock)
    assert counter.limit == DEFAULT_MONTHLY_CALL_LIMIT == 500
    counter.spend(EV_ID)
    counter.spend(EV_ID, 2)
    counter.spend(ICE_ID)
    assert (counter.calls_used(EV_ID), counter.calls_left(EV_ID)) == (3, 497)
    assert (counter.calls_used(ICE_ID), counter.calls_left(ICE_ID)) == (1, 499)
    assert counter.calls_used("unknown") == 0


def test_refuses_before_the_limit(utc_clock: UtcClock) -> None:
    """The call that would go over is refused, with what is left and when the month ends."""
    counter = MonthlyCallCounter(3, clock=utc_clock)
    counter.spend(EV_ID, 2)
    with pytest.raises(CallLimitReachedError) as caught:
        counter.spend(EV_ID, 2)
    err = caught.value
    assert isinstance(err, SmartcarBillingError)  # handled like Smartcar's plan limit
    assert (err.vehicle_id, err.used, err.limit, err.calls_left) == (EV_ID, 2, 3, 1)
    assert err.month_ends_at == datetime(2027, 1, 1, tzinfo=UTC)
    assert str(err) == (
        f"2 of 3 calls this month are used for vehicle {EV_ID}; "
        "the count starts again on 2027-01-01 00:00 UTC"
    )
    assert counter.calls_used(EV_ID) == 2  # the refused calls are not counted
    counter.spend(EV_ID)
    with pytest.raises(CallLimitReachedError) as caught:
        counter.spend(EV_ID)
    assert caught.value.calls_left == 0
    counter.spend(ICE_ID)  # another vehicle has its own calls


def test_no_calls_at_a_limit_of_zero(utc_clock: UtcClock) -> None:
    """A limit of 0 refuses every call; a negative one is a mistake."""
    with pytest.raises(CallLimitReachedError):
        MonthlyCallCounter(0, clock=utc_clock).spend(EV_ID)
    with pytest.raises(ValueError, match="negative"):
        MonthlyCallCounter(-1)


@pytest.mark.parametrize(
    ("now", "ends_at"),
    [
        (datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)),
        (datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC)),
        (datetime(2028, 2, 29, 12, tzinfo=UTC), datetime(2028, 3, 1, tzinfo=UTC)),
        # 23:30 on 31 January in New York is February in UTC.
        (
            datetime(2026, 1, 31, 23, 30, tzinfo=timezone(timedelta(hours=-5))),
            datetime(2026, 3, 1, tzinfo=UTC),
        ),
    ],
)
def test_month_ends(now: datetime, ends_at: datetime) -> None:
    """The month is the calendar month in UTC."""
    assert MonthlyCallCounter(clock=lambda: now).month_ends_at() == ends_at


def test_new_month_starts_every_count_again(utc_clock: UtcClock) -> None:
    """At midnight UTC on the first, every vehicle has its whole limit again."""
    counter = MonthlyCallCounter(2, clock=utc_clock)
    counter.spend(EV_ID, 2)
    counter.spend(ICE_ID)
    utc_clock.now = datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC)
    assert counter.calls_left(EV_ID) == 0
    utc_clock.now = datetime(2027, 1, 1, tzinfo=UTC)
    assert (counter.calls_used(EV_ID), counter.calls_used(ICE_ID)) == (0, 0)
    counter.spend(EV_ID, 2)
    assert counter.month_ends_at() == datetime(2027, 2, 1, tzinfo=UTC)


def test_smartcar_saying_the_calls_are_used_up(utc_clock: UtcClock) -> None:
    """After Smartcar's 430 nothing more is sent this month; next month starts afresh."""
    counter = MonthlyCallCounter(clock=utc_clock)
    counter.spend(EV_ID, 7)
    counter.exhaust(EV_ID)
    assert (counter.calls_used(EV_ID), counter.calls_left(EV_ID)) == (500, 0)
    with pytest.raises(CallLimitReachedError):
        counter.spend(EV_ID)
    utc_clock.now = datetime(2027, 1, 2, tzinfo=UTC)
    counter.spend(EV_ID)


def test_round_trip_through_json(utc_clock: UtcClock) -> None:
    """as_dict is JSON-safe and from_dict reads it back, as a Store keeps it over restarts."""
    counter = MonthlyCallCounter(clock=utc_clock)
    counter.spend(EV_ID, 12)
    counter.spend(ICE_ID)
    stored = json.loads(json.dumps(counter.as_dict()))
    assert stored == {"month": "2026-12", "calls": {EV_ID: 12, ICE_ID: 1}}
    restored = MonthlyCallCounter.from_dict(stored, 20, clock=utc_clock)
    assert (restored.limit, restored.calls_used(EV_ID), restored.calls_used(ICE_ID)) == (20, 12, 1)
    assert restored.as_dict() == stored


def test_counts_of_another_month_are_not_restored(utc_clock: UtcClock) -> None:
    """Counts stored in November are gone in December, and as_dict says December."""
    stored = {"month": "2026-11", "calls": {EV_ID: 499}}
    restored = MonthlyCallCounter.from_dict(stored, clock=utc_clock)
    assert restored.calls_used(EV_ID) == 0
    assert restored.as_dict() == {"month": "2026-12", "calls": {}}
    counter = MonthlyCallCounter(clock=utc_clock)
    counter.spend(EV_ID)
    utc_clock.now = datetime(2027, 1, 1, tzinfo=UTC)
    assert counter.as_dict() == {"month": "2027-01", "calls": {}}


@pytest.mark.parametrize(
    "stored",
    [
        {},
        {"month": "2026-12"},
        {"month": "2026-12", "calls": [EV_ID]},
        {"month": 202612, "calls": {EV_ID: 3}},
        {"month": "2026-12", "calls": {EV_ID: "3", ICE_ID: True, "x": -2, "y": 0, "z": 2.5}},
    ],
)
def test_malformed_counts_are_dropped(utc_clock: UtcClock, stored: dict[str, Any]) -> None:
    """Whatever a stored count cannot be is no count."""
    assert MonthlyCallCounter.from_dict(stored, clock=utc_clock).as_dict() == {
        "month": "2026-12",
        "calls": {},
    }


def test_the_default_clock_is_utc() -> None:
    """Without a clock, the month is the current one in UTC."""
    before = datetime.now(UTC)
    month = MonthlyCallCounter().as_dict()["month"]
    assert month in {f"{before:%Y-%m}", f"{datetime.now(UTC):%Y-%m}"}


# --- The client counts through it ---------------------------------------------------------


async def test_client_counts_commands_and_signal_pages(
    session: ClientSession, sleeps: Sleeps, aioclient_mock: AiohttpClientMocker, utc_clock: UtcClock
) -> None:
    """A command is one call; a signal read one per page; management calls cost no vehicle."""
    counter = MonthlyCallCounter(clock=utc_clock)
    client = counted_client(session, sleeps, counter)
    mock_command(aioclient_mock, "security/lock")
    aioclient_mock.get(
        SIGNALS_URL,
        side_effect=by_page(
            page([signal(f"group-s{n}") for n in range(PAGE_SIZE)], number=1, total=51),
            page([signal("group-last")], number=2, total=51),
        ),
    )
    mock_api(aioclient_mock, (EV_ID,))
    await client.commands.async_lock(EV_ID)
    assert counter.calls_used(EV_ID) == 1
    assert len(await client.async_get_signals(EV_ID)) == PAGE_SIZE + 1
    assert counter.calls_used(EV_ID) == 3
    await client.async_find_webhook(CALLBACK)
    await client.async_subscribe(EV_ID, SMARTCAR_WEBHOOK_ID)
    assert counter.as_dict()["calls"] == {EV_ID: 3}
    await client.async_list_vehicles()  # the VIN read is a signal read of the vehicle
    assert counter.as_dict()["calls"] == {EV_ID: 4}


async def test_client_counts_every_attempt(
    session: ClientSession, sleeps: Sleeps, aioclient_mock: AiohttpClientMocker, utc_clock: UtcClock
) -> None:
    """A read tried three times cost three calls."""
    counter = MonthlyCallCounter(clock=utc_clock)
    aioclient_mock.get(SIGNALS_URL, status=503, text="")
    with pytest.raises(SmartcarServerError):
        await counted_client(session, sleeps, counter).async_get_signals(EV_ID)
    assert counter.calls_used(EV_ID) == MAX_ATTEMPTS


async def test_client_refuses_without_sending(
    session: ClientSession, sleeps: Sleeps, aioclient_mock: AiohttpClientMocker, utc_clock: UtcClock
) -> None:
    """At the limit a command or refresh is refused before any request."""
    counter = MonthlyCallCounter(1, clock=utc_clock)
    counter.spend(EV_ID)
    client = counted_client(session, sleeps, counter)
    with pytest.raises(CallLimitReachedError) as caught:
        await client.commands.async_start_charging(EV_ID)
    assert caught.value.month_ends_at == datetime(2027, 1, 1, tzinfo=UTC)
    with pytest.raises(CallLimitReachedError):
        await client.async_get_signals(EV_ID)
    assert aioclient_mock.call_count == 0
    assert sleeps == []


@pytest.mark.parametrize(
    ("code", "left"),
    [("VEHICLE_REQUEST_LIMIT", 0), ("VEHICLE_LIMIT", 499), ("INVALID_PLAN", 499)],
)
async def test_smartcars_request_limit_ends_the_month(
    session: ClientSession,
    sleeps: Sleeps,
    aioclient_mock: AiohttpClientMocker,
    utc_clock: UtcClock,
    code: str,
    left: int,
) -> None:
    """430 VEHICLE_REQUEST_LIMIT: the vehicle's calls are used up here too, so none follow."""
    counter = MonthlyCallCounter(clock=utc_clock)
    mock_command(aioclient_mock, "charge/stop", status=430, json=error_body("BILLING", code, 430))
    client = counted_client(session, sleeps, counter)
    with pytest.raises(SmartcarBillingError) as caught:
        await client.commands.async_stop_charging(EV_ID)
    assert type(caught.value) is SmartcarBillingError
    assert counter.calls_left(EV_ID) == left
    assert counter.calls_left(ICE_ID) == 500
    if left == 0:
        with pytest.raises(CallLimitReachedError):
            await client.commands.async_stop_charging(EV_ID)
    assert aioclient_mock.call_count == 1
