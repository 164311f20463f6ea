"""The API client (api.py): vehicles, VINs, signals, webhooks and subscriptions."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import ClientConnectionError
import pytest
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
)

from custom_components.smartcar.api import (
    DEFAULT_SCOPES,
    SCOPE_VIN,
    SmartcarClient,
    SmartcarVehicle,
)
from custom_components.smartcar.api_errors import (
    SmartcarAuthError,
    SmartcarBillingError,
    SmartcarConnectionError,
    SmartcarError,
    SmartcarNotFoundError,
    SmartcarPermissionError,
    SmartcarServerError,
)
from custom_components.smartcar.api_hosts import MANAGEMENT_API_URL, TOKEN_URL, VEHICLE_API_URL
from custom_components.smartcar.api_transport import (
    PAGE_SIZE,
)
from custom_components.smartcar.catalog import VIN_SIGNAL
from custom_components.smartcar.protocol import VehicleState, load_object, parse_event, read_signal
from tests.conftest import EV_ID, ICE_ID
from tests.smartcar_api import (
    CONNECTIONS_URL,
    EV_VIN,
    OLD_ID,
    SMARTCAR_WEBHOOK_ID,
    SUBSCRIPTIONS_URL,
    USER_ID,
    VEHICLES,
    WEBHOOKS_URL,
    calls,
    connection,
    error_body,
    mock_api,
    page,
    subscriptions,
    vin_signal,
)

from .conftest import (
    CALLBACK,
    MILLISECONDS,
    SECONDS,
    SIGNALS_URL,
    VIN_URL,
    Sleeps,
    by_page,
    page_numbers,
    signal,
    webhook,
)

# --- Vehicles -----------------------------------------------------------------------------


async def test_lists_vehicles_with_details(
    client: SmartcarClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """Make, model and year from the connection, the VIN where the owner permitted it."""
    mock_api(aioclient_mock)
    assert await client.async_list_vehicles() == [
        SmartcarVehicle(id=EV_ID, make="KIA", model="EV6", year=2023, vin=EV_VIN),
        SmartcarVehicle(id=ICE_ID, make="TOYOTA", model="Corolla", year=2019, vin=None),
    ]
    (vin_call,) = calls(aioclient_mock, "get", VIN_URL)
    assert vin_call[3]["sc-user-id"] == USER_ID


async def test_vehicles_across_pages_by_next_link(
    client_without_vin: SmartcarClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """Pages are followed while links.next points on."""
    aioclient_mock.get(
        CONNECTIONS_URL,
        side_effect=by_page(
            page([connection(EV_ID), connection(ICE_ID)], number=1, total=120),
            page([connection(OLD_ID)], number=2, total=120),
            page([], number=3, total=120),
        ),
    )
    vehicles = await client_without_vin.async_list_vehicles()
    assert [vehicle.id for vehicle in vehicles] == [EV_ID, ICE_ID, OLD_ID]
    assert page_numbers(aioclient_mock, CONNECTIONS_URL) == ["1", "2", "3"]


async def test_vehicles_across_pages_by_total_count(
    client_without_vin: SmartcarClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """Without a next link, the total count says whether more pages follow."""
    aioclient_mock.get(
        CONNECTIONS_URL,
        side_effect=by_page(
            {"data": [connection(EV_ID)], "meta": {"totalCount": 2}, "links": {"self": "…"}},
            {"data": [connection(ICE_ID)], "meta": {"totalCount": 2}},
        ),
    )
    vehicles = await client_without_vin.async_list_vehicles()
    assert [vehicle.id for vehicle in vehicles] == [EV_ID, ICE_ID]
    assert page_numbers(aioclient_mock, CONNECTIONS_URL) == ["1", "2"]


async def test_connections_without_a_vehicle_are_skipped(
    client: SmartcarClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """Only items naming a vehicle are vehicles; missing details are unknown, not errors."""
    without = connection(ICE_ID)
    del without["relationships"]
    items: list[Any] = [
        without,
        {"id": "c2", "relationships": {"vehicle": {"data": None}}},
        {"id": "c3", "relationships": {"vehicle": {"data": {"id": ""}}}},
        {"id": "c4", "relationships": {"vehicle": {"data": {"id": 7}}}},
        {"id": "c5", "relationships": {"vehicle": None}},
        {"id": "c6", "relationships": []},
        "not an object",
        None,
        {"relationships": {"vehicle": {"data": {"id": EV_ID}}}},
        {"attributes": [], "relationships": {"vehicle": {"data": {"id": ICE_ID}}}},
        {"attributes": {"vehicle": "KIA"}, "relationships": {"vehicle": {"data": {"id": OLD_ID}}}},
    ]
    aioclient_mock.get(CONNECTIONS_URL, json=page(items))
    mock_api(aioclient_mock, (EV_ID, ICE_ID, OLD_ID))
    assert await client.async_list_vehicles() == [
        SmartcarVehicle(id=EV_ID, vin=EV_VIN),
        SmartcarVehicle(id=ICE_ID),
        SmartcarVehicle(id=OLD_ID),
    ]


async def test_vin_not_asked_for_is_not_requested(
    client_without_vin: SmartcarClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """Without the VIN permission the client does not even ask."""
    mock_api(aioclient_mock)
    vehicles = await client_without_vin.async_list_vehicles()
    assert [vehicle.vin for vehicle in vehicles] == [None, None]
    assert [vehicle.make for vehicle in vehicles] == ["KIA", "TOYOTA"]
    assert not calls(aioclient_mock, "get", VIN_URL)
    assert await client_without_vin.async_get_vin(EV_ID) is None
    assert aioclient_mock.call_count == 1


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (403, error_body("PERMISSION", status=403, resolution="REAUTHENTICATE")),
        (404, error_body("RESOURCE_NOT_FOUND", "SIGNAL_NOT_FOUND", 404)),
        (501, error_body("COMPATIBILITY", "VEHICLE_NOT_CAPABLE", 501)),
        (403, None),
        (404, None),
        (501, None),
    ],
)
async def test_vin_not_permitted_is_no_vin(
    client: SmartcarClient,
    aioclient_mock: AiohttpClientMocker,
    sleeps: Sleeps,
    status: int,
    body: dict[str, Any] | None,
) -> None:
    """A VIN the owner did not grant (or the car cannot give) is simply unknown."""
    aioclient_mock.get(VIN_URL, status=status, json=body, text=None if body else "")
    mock_api(aioclient_mock, (EV_ID,))
    assert await client.async_get_vin(EV_ID) is None
    (vehicle,) = await client.async_list_vehicles()
    assert vehicle == SmartcarVehicle(id=EV_ID, make="KIA", model="EV6", year=2023)
    assert sleeps == []


@pytest.mark.parametrize(
    "body",
    [
        {"data": None},
        {"data": {"attributes": {"code": VIN_SIGNAL, "body": "KNDC3"}}},
        {"data": {"attributes": {"code": VIN_SIGNAL, "body": {"value": 12}}}},
        {"data": {"attributes": {"code": VIN_SIGNAL, "body": {"value": ""}}}},
        {
            "data": {
                "attributes": {
                    "code": VIN_SIGNAL,
                    "status": {"value": "ERROR", "error": {"type": "COMPATIBILITY"}},
                    "body": {},
                }
            }
        },
        {},
    ],
)
async def test_vin_answer_without_a_vin(
    client: SmartcarClient, aioclient_mock: AiohttpClientMocker, body: dict[str, Any]
) -> None:
    """A VIN signal without a text value is no VIN."""
    aioclient_mock.get(VIN_URL, json=body)
    assert await client.async_get_vin(EV_ID) is None


async def test_vin_from_its_signal(
    client: SmartcarClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """The VIN is the VIN signal's body value."""
    aioclient_mock.get(VIN_URL, json=vin_signal(EV_VIN))
    assert await client.async_get_vin(EV_ID) == EV_VIN


async def test_vin_failures_other_than_permission_are_reported(
    client: SmartcarClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """Smartcar's trouble reading the VIN is not taken for a missing VIN."""
    aioclient_mock.get(VIN_URL, status=430, json=error_body("BILLING", "VEHICLE_LIMIT", 430))
    with pytest.raises(SmartcarBillingError):
        await client.async_get_vin(EV_ID)


@pytest.mark.parametrize(
    "answer",
    [
        {"json": {"data": {"id": EV_ID}}},
        {"json": {"data": None}},
        {"json": {"data": "connections"}},
        {"json": {"connections": []}},
        {"json": ["not", "an", "object"]},
        {"text": ""},
        {"text": "<html>captive portal</html>"},
    ],
)
async def test_malformed_listing(
    client: SmartcarClient, aioclient_mock: AiohttpClientMocker, answer: dict[str, Any]
) -> None:
    """An answer that is not Smartcar's list shape is a connection problem, not a crash."""
    aioclient_mock.get(CONNECTIONS_URL, **answer)
    with pytest.raises(SmartcarConnectionError):
        await client.async_list_vehicles()


# --- Signals ------------------------------------------------------------------------------


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


# --- Webhooks and subscriptions -----------------------------------------------------------


@pytest.mark.parametrize(
    ("asked", "listed"),
    [
        (CALLBACK, CALLBACK),
        (CALLBACK, f"{CALLBACK}/"),
        (f"{CALLBACK}/", CALLBACK),
    ],
)
async def test_finds_the_webhook_calling_home_assistant(
    client: SmartcarClient, aioclient_mock: AiohttpClientMocker, asked: str, listed: str
) -> None:
    """The webhook whose callback is this Home Assistant's address, a trailing slash aside."""
    aioclient_mock.get(
        WEBHOOKS_URL,
        json=page(
            [
                webhook("other", "https://elsewhere.example.org/hook"),
                webhook("prefix", f"{CALLBACK}x"),
                webhook("mine", listed),
                webhook("later", CALLBACK),
            ]
        ),
    )
    assert await client.async_find_webhook(asked) == "mine"
    (request,) = calls(aioclient_mock, "get", WEBHOOKS_URL)
    assert request[1].query["filter[callbackUri]"] == asked
    assert "sc-user-id" not in request[3]


@pytest.mark.parametrize(
    "items",
    [
        [],
        [webhook("other", "https://elsewhere.example.org/hook")],
        [webhook("prefix", f"{CALLBACK}/more"), webhook("case", CALLBACK.upper())],
        [webhook(None, CALLBACK), webhook("", CALLBACK), webhook(7, CALLBACK)],
        [webhook("no-uri", None), {"id": "bare"}, {"id": "odd", "attributes": CALLBACK}],
    ],
)
async def test_no_webhook_calls_home_assistant(
    client: SmartcarClient, aioclient_mock: AiohttpClientMocker, items: list[dict[str, Any]]
) -> None:
    """Without an exact match (and an id to subscribe to) there is no webhook."""
    aioclient_mock.get(WEBHOOKS_URL, json=page(items))
    assert await client.async_find_webhook(CALLBACK) is None


@pytest.mark.parametrize(
    "answer",
    [
        {"status": 202, "json": {"meta": {"message": "subscription creation in progress"}}},
        {"status": 202, "text": ""},
        {"status": 201, "json": {"data": {"id": "sub-1", "type": "subscription"}}},
        {"status": 409, "json": error_body("CONFLICT", status=409)},
        {"status": 409, "text": ""},
    ],
)
async def test_subscribe(
    client: SmartcarClient,
    aioclient_mock: AiohttpClientMocker,
    sleeps: Sleeps,
    answer: dict[str, Any],
) -> None:
    """Subscribing sends webhook, user and vehicle; accepted or already there is success."""
    aioclient_mock.post(SUBSCRIPTIONS_URL, **answer)
    await client.async_subscribe(EV_ID, SMARTCAR_WEBHOOK_ID)
    assert subscriptions(aioclient_mock) == [
        {"webhookId": SMARTCAR_WEBHOOK_ID, "userId": USER_ID, "vehicleId": EV_ID}
    ]
    ((_, url, data, headers),) = calls(aioclient_mock, "post", SUBSCRIPTIONS_URL)
    assert data == {
        "data": {
            "attributes": {
                "webhookId": SMARTCAR_WEBHOOK_ID,
                "userId": USER_ID,
                "vehicleId": EV_ID,
            }
        }
    }
    assert not url.query
    assert "sc-user-id" not in headers
    assert sleeps == []


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (400, error_body("VALIDATION", "PARAMETER", 400), SmartcarError),
        (401, error_body("AUTHENTICATION", status=401), SmartcarAuthError),
        (403, error_body("PERMISSION", status=403), SmartcarPermissionError),
        (404, error_body("RESOURCE_NOT_FOUND", "WEBHOOK", 404), SmartcarNotFoundError),
        (430, error_body("BILLING", "VEHICLE_LIMIT", 430), SmartcarBillingError),
        (500, error_body("SERVER", "INTERNAL", 500), SmartcarServerError),
    ],
)
async def test_subscribe_failures(
    client: SmartcarClient,
    aioclient_mock: AiohttpClientMocker,
    status: int,
    body: dict[str, Any],
    error: type[SmartcarError],
) -> None:
    """Any refusal other than "already subscribed" is reported with its type."""
    aioclient_mock.post(SUBSCRIPTIONS_URL, status=status, json=body)
    with pytest.raises(error) as caught:
        await client.async_subscribe(EV_ID, SMARTCAR_WEBHOOK_ID)
    assert type(caught.value) is error
    assert caught.value.status == status


async def test_subscribe_unreachable(
    client: SmartcarClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """A subscription that could not be sent is not taken for one that exists."""
    aioclient_mock.post(SUBSCRIPTIONS_URL, exc=ClientConnectionError("reset"))
    with pytest.raises(SmartcarConnectionError):
        await client.async_subscribe(EV_ID, SMARTCAR_WEBHOOK_ID)


async def test_unsubscribe_deletes_each_subscription(
    client: SmartcarClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """The vehicle's subscriptions to the webhook are listed, then each one deleted."""
    aioclient_mock.get(
        SUBSCRIPTIONS_URL,
        json=page(
            [
                {"id": "sub-1", "type": "subscription"},
                {"type": "subscription"},
                {"id": "", "type": "subscription"},
                {"id": 3, "type": "subscription"},
                {"id": "sub-2", "type": "subscription"},
            ]
        ),
    )
    aioclient_mock.delete(f"{SUBSCRIPTIONS_URL}/sub-1", status=204, text="")
    aioclient_mock.delete(f"{SUBSCRIPTIONS_URL}/sub-2", status=200, json={"meta": {}})
    await client.async_unsubscribe(EV_ID, SMARTCAR_WEBHOOK_ID)
    (listing,) = calls(aioclient_mock, "get", SUBSCRIPTIONS_URL)
    assert listing[1].query == {
        "filter[webhookId]": SMARTCAR_WEBHOOK_ID,
        "filter[vehicleId]": EV_ID,
        "filter[userId]": USER_ID,
        "page[number]": "1",
        "page[size]": str(PAGE_SIZE),
    }
    deleted = [str(call[1]) for call in aioclient_mock.mock_calls if call[0].lower() == "delete"]
    assert deleted == [f"{SUBSCRIPTIONS_URL}/sub-1", f"{SUBSCRIPTIONS_URL}/sub-2"]


async def test_unsubscribe_without_subscriptions(
    client: SmartcarClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """Nothing subscribed: nothing deleted, no error."""
    aioclient_mock.get(SUBSCRIPTIONS_URL, json=page([]))
    await client.async_unsubscribe(EV_ID, SMARTCAR_WEBHOOK_ID)
    assert aioclient_mock.call_count == 1


async def test_unsubscribe_from_a_subscription_already_gone(
    client: SmartcarClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """A subscription deleted meanwhile is what was wanted; the others are still deleted."""
    aioclient_mock.get(SUBSCRIPTIONS_URL, json=page([{"id": "sub-1"}, {"id": "sub-2"}]))
    aioclient_mock.delete(
        f"{SUBSCRIPTIONS_URL}/sub-1",
        status=404,
        json=error_body("RESOURCE_NOT_FOUND", "SUBSCRIPTION", 404),
    )
    aioclient_mock.delete(f"{SUBSCRIPTIONS_URL}/sub-2", status=204)
    await client.async_unsubscribe(EV_ID, SMARTCAR_WEBHOOK_ID)
    assert len(calls(aioclient_mock, "delete", f"{SUBSCRIPTIONS_URL}/sub-2")) == 1


async def test_unsubscribe_refused(
    client: SmartcarClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """A delete Smartcar refuses is reported."""
    aioclient_mock.get(SUBSCRIPTIONS_URL, json=page([{"id": "sub-1"}]))
    aioclient_mock.delete(
        f"{SUBSCRIPTIONS_URL}/sub-1", status=403, json=error_body("PERMISSION", status=403)
    )
    with pytest.raises(SmartcarPermissionError):
        await client.async_unsubscribe(EV_ID, SMARTCAR_WEBHOOK_ID)


# --- Vehicles as stored -------------------------------------------------------------------


def test_vehicle_from_stored_dict() -> None:
    """Stored or received vehicles are read tolerantly, and round-trip."""
    vehicle = SmartcarVehicle.from_dict({**VEHICLES[EV_ID], "vin": EV_VIN})
    assert vehicle == SmartcarVehicle(id=EV_ID, make="KIA", model="EV6", year=2023, vin=EV_VIN)
    assert vehicle.as_dict() == {**VEHICLES[EV_ID], "vin": EV_VIN}
    assert SmartcarVehicle.from_dict(vehicle.as_dict()) == vehicle
    odd = SmartcarVehicle.from_dict({"id": 7, "make": "", "model": 3, "year": True, "vin": []})
    assert odd == SmartcarVehicle(id="7")
    assert SmartcarVehicle.from_dict({"id": "x", "year": "2020"}).year is None
    assert SmartcarVehicle.from_dict({"id": "x", "year": 2020.0}).year is None
    assert SmartcarVehicle.from_dict({"id": "x"}).as_dict() == {
        "id": "x",
        "make": None,
        "model": None,
        "year": None,
        "vin": None,
    }


def test_default_permissions_cover_the_entities() -> None:
    """Every read permission the entities need is asked for by default; no control ones."""
    assert SCOPE_VIN in DEFAULT_SCOPES
    assert "read_location" in DEFAULT_SCOPES
    assert not [scope for scope in DEFAULT_SCOPES if not scope.startswith("read_")]
    assert len(set(DEFAULT_SCOPES)) == len(DEFAULT_SCOPES)


def test_addresses() -> None:
    """API v3's hosts."""
    assert VEHICLE_API_URL == "https://vehicle.api.smartcar.com/v3"
    assert MANAGEMENT_API_URL == "https://management.api.smartcar.com/v3"
    assert TOKEN_URL == "https://iam.smartcar.com/oauth2/token"


async def test_unsubscribe_never_deletes_another_vehicles_subscription(
    client: SmartcarClient, aioclient_mock: AiohttpClientMocker
) -> None:
    """Should the list ignore its filters, only items of this vehicle and webhook go."""

    def item(subscription_id: str, vehicle_id: str, webhook_id: str) -> dict[str, Any]:
        return {
            "id": subscription_id,
            "type": "subscription",
            "relationships": {
                "vehicle": {"data": {"id": vehicle_id}},
                "webhook": {"data": {"id": webhook_id}},
            },
        }

    aioclient_mock.get(
        SUBSCRIPTIONS_URL,
        json=page(
            [
                item("mine", EV_ID, SMARTCAR_WEBHOOK_ID),
                item("other-car", ICE_ID, SMARTCAR_WEBHOOK_ID),
                item("other-hook", EV_ID, "another-webhook"),
            ]
        ),
    )
    aioclient_mock.delete(f"{SUBSCRIPTIONS_URL}/mine", status=204, text="")
    await client.async_unsubscribe(EV_ID, SMARTCAR_WEBHOOK_ID)
    deleted = [str(call[1]) for call in aioclient_mock.mock_calls if call[0].lower() == "delete"]
    assert deleted == [f"{SUBSCRIPTIONS_URL}/mine"]


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
