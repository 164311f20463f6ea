"""The API client (api.py): a vehicle's signals, in a delivery's shape."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
)

from custom_components.smartcar.api import (
    SmartcarClient,
)
from custom_components.smartcar.api_transport import (
    PAGE_SIZE,
)
from custom_components.smartcar.json_body import load_object
from custom_components.smartcar.protocol import VehicleState, parse_event, read_signal
from tests.conftest import EV_ID
from tests.smartcar_api import (
    USER_ID,
    calls,
    page,
)

from .conftest import (
    MILLISECONDS,
    SECONDS,
    SIGNALS_URL,
    by_page,
    page_numbers,
    signal,
)


async def test_signals_in_the_delivery_shape(
    client: SmartcarClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """Each signal is flat like a webhook's, its times in milliseconds like a delivery's."""
    aioclient_mock.get(
        SIGNALS_URL,
        json=page(
            [
                signal(
                    "tractionbattery-stateofcharge",
                    {"retrievedAt": SECONDS, "oemUpdatedAt": SECONDS - 100},
                    name="StateOfCharge",
                    group="TractionBattery",
                    body={"value": 80, "unit": "percent"},
                ),
                signal("odometer-traveleddistance", {"retrievedAt": MILLISECONDS}),
                signal("charge-ischarging", {"retrievedAt": "2025-12-01T08:00:00.000Z"}),
                signal(
                    "location-preciselocation",
                    {"retrievedAt": SECONDS + 0.5, "ingestedAt": None, "seq": 0},
                ),
                signal("closure-islocked"),
                signal("hvac-isactive", "not a mapping"),
            ]
        ),
    )
    signals = await client.async_get_signals(EV_ID)
    assert signals[0] == {
        "code": "tractionbattery-stateofcharge",
        "name": "StateOfCharge",
        "group": "TractionBattery",
        "status": {"value": "SUCCESS"},
        "body": {"value": 80, "unit": "percent"},
        "meta": {"retrievedAt": MILLISECONDS, "oemUpdatedAt": MILLISECONDS - 100_000},
    }
    assert [s["meta"] for s in signals[1:]] == [
        {"retrievedAt": MILLISECONDS},
        {"retrievedAt": "2025-12-01T08:00:00.000Z"},
        {"retrievedAt": MILLISECONDS + 500, "ingestedAt": None, "seq": 0},
        {},
        {},
    ]
    (request,) = calls(aioclient_mock, "get", SIGNALS_URL)
    assert request[3]["sc-user-id"] == USER_ID
    assert request[1].query == {"page[number]": "1", "page[size]": str(PAGE_SIZE)}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, 1000),
        (99_999_999_999, 99_999_999_999_000),  # the last second read as seconds
        (100_000_000_000, 100_000_000_000),  # the first millisecond
        (0, 0),
        (-5, -5),
        (True, True),
        ("1764576000", "1764576000"),
        ([SECONDS], [SECONDS]),
    ],
)
async def test_signal_time_units(
    client: SmartcarClient, aioclient_mock: AiohttpClientMocker, value: Any, expected: Any
) -> None:
    """Only positive numbers below the millisecond range are taken as seconds."""
    aioclient_mock.get(SIGNALS_URL, json=page([signal("odometer-x", {"retrievedAt": value})]))
    (result,) = await client.async_get_signals(EV_ID)
    assert result["meta"]["retrievedAt"] == expected
    assert type(result["meta"]["retrievedAt"]) is type(expected)


async def test_signals_without_a_code_are_dropped(
    client: SmartcarClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """An item the integration could not name is not passed on."""
    nameless = signal("charge-x")
    del nameless["attributes"]["code"]
    aioclient_mock.get(
        SIGNALS_URL,
        json=page(
            [
                nameless,
                signal(""),
                signal(None),
                {"id": "x", "type": "signal", "meta": {}},
                {"id": "x", "type": "signal", "attributes": ["code"]},
                "charge-ischarging",
                signal("charge-ischarging"),
            ]
        ),
    )
    assert [s["code"] for s in await client.async_get_signals(EV_ID)] == ["charge-ischarging"]


async def test_signals_across_pages(
    client: SmartcarClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """Every page of signals is read."""
    first = [signal(f"group-signal{n}") for n in range(PAGE_SIZE)]
    aioclient_mock.get(
        SIGNALS_URL,
        side_effect=by_page(
            page(first, number=1, total=PAGE_SIZE + 1),
            page([signal("group-last")], number=2, total=PAGE_SIZE + 1),
        ),
    )
    signals = await client.async_get_signals(EV_ID)
    assert len(signals) == PAGE_SIZE + 1
    assert signals[-1]["code"] == "group-last"
    assert page_numbers(aioclient_mock, SIGNALS_URL) == ["1", "2"]


async def test_vehicle_without_signals(
    client: SmartcarClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """A vehicle never subscribed to a webhook answers with no data: no signals."""
    aioclient_mock.get(SIGNALS_URL, json=page([]))
    assert await client.async_get_signals(EV_ID) == []


async def test_signals_read_by_the_webhook_path(
    client: SmartcarClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """The API's signals, in a delivery's envelope, read as a delivery's (ms, ISO, seconds)."""
    aioclient_mock.get(
        SIGNALS_URL,
        json=page(
            [
                {
                    "id": "tractionbattery-stateofcharge",
                    "type": "signal",
                    "attributes": {
                        "code": "tractionbattery-stateofcharge",
                        "name": "StateOfCharge",
                        "group": "TractionBattery",
                        "status": {"value": "SUCCESS"},
                        "body": {"value": 71, "unit": "percent"},
                    },
                    "meta": {"oemUpdatedAt": 1764576000, "retrievedAt": 1764576060},
                    "links": {"self": "…"},
                },
                {
                    "id": "charge-ischarging",
                    "type": "signal",
                    "attributes": {
                        "code": "charge-ischarging",
                        "name": "IsCharging",
                        "group": "Charge",
                        "status": {"value": "SUCCESS"},
                        "body": {"value": True},
                    },
                    "meta": {"oemUpdatedAt": "2025-12-01T08:00:00Z", "retrievedAt": 1764576060000},
                },
            ]
        ),
    )
    signals = await client.async_get_signals(EV_ID)
    envelope = {
        "eventId": "refresh-1",
        "eventType": "VEHICLE_STATE",
        "data": {"vehicle": {"id": EV_ID}, "signals": signals},
        "meta": {"version": "4.0"},
    }
    event = parse_event(load_object(json.dumps(envelope).encode()))
    assert isinstance(event, VehicleState)
    read = {
        signal.code: signal
        for item in event.signal_objects
        if (signal := read_signal(item)) is not None
    }
    assert read["tractionbattery-stateofcharge"].body == {"value": 71, "unit": "percent"}
    assert read["tractionbattery-stateofcharge"].oem_updated_at == 1_764_576_000_000
    assert read["charge-ischarging"].oem_updated_at == 1_764_576_000_000
    assert read["charge-ischarging"].retrieved_at == 1_764_576_060_000
