"""Smartcar's API v3 faked at the aiohttp level, answering as API-v3.md documents it.

Every value is invented. The mocker answers the first registered mock that matches, so a
test registers its failure first and then the normal answers with ``mock_api``. A mock
registered without a query answers every query of its address.
"""

from __future__ import annotations

from typing import Any, Final

from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
    AiohttpClientMockResponse,
)
from yarl import URL

from homeassistant.const import CONF_CLIENT_ID, CONF_CLIENT_SECRET, CONF_TOKEN, CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant

from custom_components.smartcar.api import DEFAULT_SCOPES
from custom_components.smartcar.api_hosts import MANAGEMENT_API_URL, TOKEN_URL, VEHICLE_API_URL
from custom_components.smartcar.const import (
    CONF_APPLICATION_ID,
    CONF_MANAGEMENT_TOKEN,
    CONF_SCOPES,
    CONF_SMARTCAR_WEBHOOK_ID,
    CONF_USER_ID,
    CONF_VEHICLES,
    DOMAIN,
)
from custom_components.smartcar.unique_ids import connect_unique_id, token_unique_id

from .conftest import EV_ID, ICE_ID, TOKEN, WEBHOOK_ID

APPLICATION_ID: Final = "3f2e1d0c-9b8a-4765-8432-10fedcba9876"
CLIENT_ID: Final = "client_0f8e7d6c5b4a43928170"
CLIENT_SECRET: Final = "sc-secret-3c2b1a09-8f7e-4d6c-b5a4"
APP_TOKEN: Final = "m2m-token-7d6c5b4a"
USER_ID: Final = "b7e1c9d2-4a3f-4e6b-9c8d-1f2e3a4b5c6d"
SMARTCAR_WEBHOOK_ID: Final = "8e1f0c2a-7b6d-4e5f-9a8b-3c2d1e0f9a8b"
EV_VIN: Final = "KNDC3DLC5P5000001"
OLD_ID: Final = "4b3a2918-0f7e-4d6c-9b5a-493827160f5e"
CONNECTIONS_URL: Final = f"{VEHICLE_API_URL}/connections"
WEBHOOKS_URL: Final = f"{MANAGEMENT_API_URL}/webhooks"
SUBSCRIPTIONS_URL: Final = f"{MANAGEMENT_API_URL}/subscriptions"

VEHICLES: Final[dict[str, dict[str, Any]]] = {
    EV_ID: {"id": EV_ID, "make": "KIA", "model": "EV6", "year": 2023},
    ICE_ID: {"id": ICE_ID, "make": "TOYOTA", "model": "Corolla", "year": 2019},
    OLD_ID: {"id": OLD_ID, "make": "NISSAN", "model": "Leaf", "year": 2018},
}


def token_payload(token: str = APP_TOKEN, expires_in: int = 3600) -> dict[str, Any]:
    """iam.smartcar.com's answer to the client-credentials grant (no refresh token)."""
    return {"access_token": token, "token_type": "Bearer", "expires_in": expires_in}


def error_body(
    error_type: str, code: str | None = None, status: int = 400, resolution: str | None = None
) -> dict[str, Any]:
    """An error answer with v3's fields (type, code, title, detail, status, resolution)."""
    return {
        "type": error_type,
        "code": code,
        "title": f"{error_type} (invented title)",
        "detail": [],
        "status": status,
        "resolution": {"type": resolution},
        "suggestedUserMessage": None,
    }


def documented_error_body(
    error_type: str,
    code: str | None = None,
    status: int = 400,
    *,
    resolution: str | None = None,
    user_message: str | None = None,
    request_id: str = "req-in-body",
) -> dict[str, Any]:
    """An error answer with the fields Smartcar's error reference lists (description, ...)."""
    return {
        "type": error_type,
        "code": code,
        "description": f"{error_type} (invented description)",
        "docURL": "https://smartcar.com/docs/errors",
        "statusCode": status,
        "requestId": request_id,
        "resolution": {"type": resolution},
        "suggestedUserMessage": user_message,
        "detail": [],
    }


def command_url(vehicle_id: str, command: str) -> str:
    """``POST /vehicles/{id}/commands/{command}`` (``security/lock``, ``charge/set-limit``)."""
    return f"{VEHICLE_API_URL}/vehicles/{vehicle_id}/commands/{command}"


def command_execution(
    command: str,
    *,
    status: str | None = "SUCCESS",
    mode: str = "sync",
    parameters: dict[str, Any] | None = None,
    error: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A command's answer: ``data`` a ``command-execution`` (as the set-limit page shows)."""
    attributes: dict[str, Any] = {
        "commandType": command.replace("/", "-"),
        "status": {"value": status, **({"error": error} if error else {})},
        "executionMode": mode,
    }
    if parameters is not None:
        attributes["parameters"] = parameters
    return {
        "data": {
            "id": "exec_9876543210",
            "type": "command-execution",
            "attributes": attributes,
            "meta": {
                "executedAt": "2026-12-01T12:00:00Z",
                "completedAt": "2026-12-01T12:00:02Z",
                "durationInSeconds": 2,
            },
        }
    }


def mock_command(
    aioclient_mock: AiohttpClientMocker,
    command: str,
    *,
    vehicle_id: str = EV_ID,
    status: int = 200,
    json: Any = None,
    headers: dict[str, str] | None = None,
) -> str:
    """Smartcar answering a command (200 executed by default); its address.

    A 202's default body says the execution is still PENDING (a value Smartcar's documents
    do not show: only SUCCESS is).
    """
    url = command_url(vehicle_id, command)
    if json is None and status < 300:
        sync = status == 200
        json = command_execution(
            command, status="SUCCESS" if sync else "PENDING", mode="sync" if sync else "async"
        )
    answer: dict[str, Any] = {"json": json} if json is not None else {"text": ""}
    aioclient_mock.post(
        url, status=status, headers={"sc-request-id": "req-7f3e", **(headers or {})}, **answer
    )
    return url


def connection(vehicle_id: str, user_id: str = USER_ID) -> dict[str, Any]:
    """One ``GET /connections`` item: the connection, its vehicle and user."""
    vehicle = VEHICLES[vehicle_id]
    return {
        "id": f"conn-{vehicle_id[:8]}",
        "type": "connection",
        "attributes": {
            "permissions": list(DEFAULT_SCOPES),
            "vehicle": {
                "make": vehicle["make"],
                "model": vehicle["model"],
                "year": vehicle["year"],
                "mode": "live",
                "powertrainType": "BEV",
            },
        },
        "relationships": {
            "vehicle": {"data": {"id": vehicle_id, "type": "vehicle"}},
            "user": {"data": {"id": user_id, "type": "user"}},
        },
    }


def page(items: list[dict[str, Any]], *, number: int = 1, total: int | None = None) -> dict:
    """A paged list answer: ``data``, ``meta`` and ``links`` (``next`` while more follow)."""
    total = len(items) if total is None else total
    more = number * 50 < total
    return {
        "data": items,
        "meta": {"pageNumber": number, "pageSize": 50, "totalCount": total},
        "links": {"self": "…", "next": f"…page[number]={number + 1}" if more else None},
    }


def vin_signal(vin: str) -> dict[str, Any]:
    """``GET /vehicles/{id}/signals/vehicleidentification-vin``."""
    return {
        "data": {
            "id": "vehicleidentification-vin",
            "type": "signal",
            "attributes": {
                "code": "vehicleidentification-vin",
                "name": "Vin",
                "group": "VehicleIdentification",
                "status": {"value": "SUCCESS"},
                "body": {"value": vin},
            },
            "meta": {"retrievedAt": 1764576000, "oemUpdatedAt": 1764575900},
        },
        "included": {"vehicle": {"attributes": {"make": "KIA", "model": "EV6", "year": 2023}}},
    }


def webhook_listing(aioclient_mock: AiohttpClientMocker, webhook_id: str) -> None:
    """``GET /webhooks``: one webhook whose callback URI is whatever the filter asks for."""

    async def answer(method: str, url: URL, data: Any) -> AiohttpClientMockResponse:
        uri = url.query.get("filter[callbackUri]", "")
        item = {"id": webhook_id, "type": "webhook", "attributes": {"callbackUri": uri}}
        return AiohttpClientMockResponse(method, url, json=page([item]))

    aioclient_mock.get(WEBHOOKS_URL, side_effect=answer)


def mock_api(
    aioclient_mock: AiohttpClientMocker,
    vehicles: tuple[str, ...] = (EV_ID, ICE_ID),
    *,
    vins: dict[str, str] | None = None,
    user_id: str = USER_ID,
    webhook_id: str | None = SMARTCAR_WEBHOOK_ID,
) -> None:
    """The token, the user's vehicles (VIN permitted for the EV only), webhook, subscriptions."""
    vins = {EV_ID: EV_VIN} if vins is None else vins
    aioclient_mock.post(TOKEN_URL, json=token_payload())
    aioclient_mock.get(CONNECTIONS_URL, json=page([connection(v, user_id) for v in vehicles]))
    for vehicle_id in vehicles:
        url = f"{VEHICLE_API_URL}/vehicles/{vehicle_id}/signals/vehicleidentification-vin"
        if vehicle_id in vins:
            aioclient_mock.get(url, json=vin_signal(vins[vehicle_id]))
        else:
            aioclient_mock.get(
                url,
                status=403,
                json=error_body("PERMISSION", status=403, resolution="REAUTHENTICATE"),
            )
    if webhook_id is None:
        aioclient_mock.get(WEBHOOKS_URL, json=page([]))
    else:
        webhook_listing(aioclient_mock, webhook_id)
    aioclient_mock.post(
        SUBSCRIPTIONS_URL,
        status=202,
        json={"meta": {"message": "subscription creation in progress"}},
    )
    aioclient_mock.get(
        SUBSCRIPTIONS_URL,
        json=page([{"id": "sub-1", "type": "subscription", "attributes": {}}]),
    )
    aioclient_mock.delete(f"{SUBSCRIPTIONS_URL}/sub-1", status=204, text="")


def calls(aioclient_mock: AiohttpClientMocker, method: str, url: str) -> list[Any]:
    """The recorded requests (method, url, data, headers) to one address."""
    return [
        call
        for call in aioclient_mock.mock_calls
        if call[0].lower() == method.lower() and str(call[1]).split("?")[0] == url
    ]


def subscriptions(aioclient_mock: AiohttpClientMocker) -> list[dict[str, Any]]:
    """The attributes of every subscription created (``POST /subscriptions``)."""
    return [
        call[2]["data"]["attributes"] for call in calls(aioclient_mock, "post", SUBSCRIPTIONS_URL)
    ]


def token_requests(aioclient_mock: AiohttpClientMocker) -> list[Any]:
    """The requests to Smartcar's token endpoint."""
    return calls(aioclient_mock, "post", TOKEN_URL)


def connect_entry_data(*, vehicles: tuple[str, ...] = (EV_ID,)) -> dict[str, Any]:
    """A Smartcar Connect entry's data (API v3) as the config flow stores it."""
    return {
        CONF_MANAGEMENT_TOKEN: TOKEN,
        CONF_WEBHOOK_ID: WEBHOOK_ID,
        CONF_APPLICATION_ID: APPLICATION_ID,
        CONF_CLIENT_ID: CLIENT_ID,
        CONF_CLIENT_SECRET: CLIENT_SECRET,
        CONF_USER_ID: USER_ID,
        CONF_SCOPES: list(DEFAULT_SCOPES),
        CONF_SMARTCAR_WEBHOOK_ID: SMARTCAR_WEBHOOK_ID,
        CONF_VEHICLES: [
            {**VEHICLES[vehicle_id], "vin": EV_VIN if vehicle_id == EV_ID else None}
            for vehicle_id in vehicles
        ],
    }


def v2_entry_data(*, vehicles: tuple[str, ...] = (EV_ID,)) -> dict[str, Any]:
    """A Smartcar Connect entry made on API v2: an OAuth sign-in, no API v3 credentials."""
    data = connect_entry_data(vehicles=vehicles)
    for key in (CONF_APPLICATION_ID, CONF_CLIENT_ID, CONF_CLIENT_SECRET):
        del data[key]
    return data | {
        "auth_implementation": DOMAIN,
        CONF_TOKEN: {
            "access_token": "v2-access",
            "refresh_token": "v2-refresh",
            "token_type": "Bearer",
            "expires_in": 7200,
            "expires_at": 1764576000.0,
        },
    }


async def setup_connect_entry(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    *,
    vehicles: tuple[str, ...] = (EV_ID,),
    entry_id: str | None = None,
) -> MockConfigEntry:
    """A set-up Smartcar Connect entry (API v3), the fake v3 answering as ``mock_api``."""
    mock_api(aioclient_mock)
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Smartcar",
        data=connect_entry_data(vehicles=vehicles),
        unique_id=connect_unique_id_of_tests(),
        **({"entry_id": entry_id} if entry_id else {}),
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


def connect_unique_id_of_tests() -> str:
    """The unique id of the test user's Connect entry."""
    return connect_unique_id(APPLICATION_ID, USER_ID)


def v2_unique_id() -> str:
    """A v2 Connect entry's unique id up to minor version 1: its token's, as every one was."""
    return token_unique_id(TOKEN)


def query(url: str) -> dict[str, str]:
    """The query of an address, as a dict."""
    return dict(URL(url).query)
