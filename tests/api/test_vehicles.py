"""The API client (api.py): the user's vehicles, their VINs, vehicles as stored."""

from __future__ import annotations

from typing import Any

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
    SmartcarBillingError,
    SmartcarConnectionError,
)
from custom_components.smartcar.api_hosts import MANAGEMENT_API_URL, TOKEN_URL, VEHICLE_API_URL
from custom_components.smartcar.catalog import VIN_SIGNAL
from tests.conftest import EV_ID, ICE_ID
from tests.smartcar_api import (
    CONNECTIONS_URL,
    EV_VIN,
    OLD_ID,
    USER_ID,
    VEHICLES,
    calls,
    connection,
    error_body,
    mock_api,
    page,
    vin_signal,
)

from .conftest import (
    VIN_URL,
    Sleeps,
    by_page,
    page_numbers,
)


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
