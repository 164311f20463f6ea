"""Smartcar's HTTP API mocked at the aiohttp level, with payloads shaped as PROTOCOL.md shows.

Every value is invented. The mocker answers the first registered mock that matches, so a
test registers its failure first and then the normal answers with ``mock_api``.
"""

from __future__ import annotations

import time
from typing import Any, Final

from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker
from yarl import URL

from homeassistant.components.application_credentials import (
    ClientCredential,
    async_import_client_credential,
)
from homeassistant.const import CONF_TOKEN, CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component

from custom_components.smartcar.api import API_URL, DEFAULT_SCOPES, TOKEN_URL
from custom_components.smartcar.config_flow import token_unique_id
from custom_components.smartcar.const import (
    CONF_MANAGEMENT_TOKEN,
    CONF_SCOPES,
    CONF_SMARTCAR_WEBHOOK_ID,
    CONF_USER_ID,
    CONF_VEHICLES,
    DOMAIN,
)

from .conftest import EV_ID, ICE_ID, TOKEN, WEBHOOK_ID

CLIENT_ID: Final = "0f8e7d6c-5b4a-4392-8170-6e5d4c3b2a19"
CLIENT_SECRET: Final = "sc-secret-3c2b1a09-8f7e-4d6c-b5a4"
USER_ID: Final = "b7e1c9d2-4a3f-4e6b-9c8d-1f2e3a4b5c6d"
SMARTCAR_WEBHOOK_ID: Final = "8e1f0c2a-7b6d-4e5f-9a8b-3c2d1e0f9a8b"
EV_VIN: Final = "KNDC3DLC5P5000001"
OLD_ID: Final = "4b3a2918-0f7e-4d6c-9b5a-493827160f5e"
REDIRECT_URI: Final = "https://example.com/auth/external/callback"

VEHICLES: Final[dict[str, dict[str, Any]]] = {
    EV_ID: {"id": EV_ID, "make": "KIA", "model": "EV6", "year": 2023},
    ICE_ID: {"id": ICE_ID, "make": "TOYOTA", "model": "Corolla", "year": 2019},
    OLD_ID: {"id": OLD_ID, "make": "NISSAN", "model": "Leaf", "year": 2018},
}


def token_payload(number: int, **changes: Any) -> dict[str, Any]:
    """The token endpoint's answer; every refresh brings a new refresh token."""
    return {
        "access_token": f"access-{number}",
        "token_type": "Bearer",
        "expires_in": 7200,
        "refresh_token": f"refresh-{number}",
        **changes,
    }


def stored_token(number: int, *, age: float = 0) -> dict[str, Any]:
    """A token as the entry stores it, issued ``age`` seconds ago."""
    issued = time.time() - age
    return {**token_payload(number), "expires_at": issued + 7200}


def error_body(
    error_type: str, code: str | None = None, status: int = 400, resolution: str | None = None
) -> dict[str, Any]:
    """A v2.0 error answer: type, code, description, docURL, statusCode, requestId."""
    return {
        "type": error_type,
        "code": code,
        "description": f"{error_type} (invented description)",
        "docURL": "https://smartcar.com/docs/errors/api-errors",
        "statusCode": status,
        "requestId": "5dea93a1-3f79-4246-90da-7f1c4d1e9f6a",
        "resolution": {"type": resolution},
        "suggestedUserMessage": None,
    }


def subscribe_url(vehicle_id: str, webhook_id: str = SMARTCAR_WEBHOOK_ID) -> str:
    """Where a vehicle is subscribed to (POST) or unsubscribed from (DELETE) a webhook."""
    return f"{API_URL}/vehicles/{vehicle_id}/webhooks/{webhook_id}"


def mock_api(
    aioclient_mock: AiohttpClientMocker,
    vehicles: tuple[str, ...] = (EV_ID, ICE_ID),
    *,
    vins: dict[str, str] | None = None,
    user_id: str = USER_ID,
) -> None:
    """The signed-in user, their vehicles (VIN permitted for the EV only) and webhooks."""
    vins = {EV_ID: EV_VIN} if vins is None else vins
    aioclient_mock.get(f"{API_URL}/user", json={"id": user_id})
    aioclient_mock.get(
        f"{API_URL}/vehicles",
        json={"vehicles": list(vehicles), "paging": {"count": len(vehicles), "offset": 0}},
    )
    for vehicle_id in vehicles:
        aioclient_mock.get(f"{API_URL}/vehicles/{vehicle_id}", json=VEHICLES[vehicle_id])
        if vehicle_id in vins:
            aioclient_mock.get(
                f"{API_URL}/vehicles/{vehicle_id}/vin", json={"vin": vins[vehicle_id]}
            )
        else:
            aioclient_mock.get(
                f"{API_URL}/vehicles/{vehicle_id}/vin",
                status=403,
                json=error_body("PERMISSION", status=403, resolution="REAUTHENTICATE"),
            )
        aioclient_mock.post(
            subscribe_url(vehicle_id),
            json={"vehicleId": vehicle_id, "webhookId": SMARTCAR_WEBHOOK_ID},
        )
        aioclient_mock.delete(subscribe_url(vehicle_id), json={"status": "success"})


def calls(aioclient_mock: AiohttpClientMocker, method: str, url: str) -> list[Any]:
    """The recorded requests (method, url, data, headers) to one address."""
    return [
        call
        for call in aioclient_mock.mock_calls
        if call[0].lower() == method.lower() and str(call[1]).split("?")[0] == url
    ]


def token_requests(aioclient_mock: AiohttpClientMocker) -> list[Any]:
    """The requests to Smartcar's token endpoint."""
    return calls(aioclient_mock, "post", TOKEN_URL)


async def setup_credentials(hass: HomeAssistant) -> None:
    """Application credentials for Smartcar, as the user adds them in the UI."""
    assert await async_setup_component(hass, "application_credentials", {})
    await async_import_client_credential(
        hass, DOMAIN, ClientCredential(CLIENT_ID, CLIENT_SECRET, name="My Smartcar app")
    )


def connect_entry_data(
    *, token: dict[str, Any] | None = None, vehicles: tuple[str, ...] = (EV_ID,)
) -> dict[str, Any]:
    """A Smartcar Connect entry's data as the config flow stores it."""
    return {
        CONF_MANAGEMENT_TOKEN: TOKEN,
        CONF_WEBHOOK_ID: WEBHOOK_ID,
        "auth_implementation": DOMAIN,
        CONF_TOKEN: stored_token(1) if token is None else token,
        CONF_USER_ID: USER_ID,
        CONF_SCOPES: list(DEFAULT_SCOPES),
        CONF_SMARTCAR_WEBHOOK_ID: SMARTCAR_WEBHOOK_ID,
        CONF_VEHICLES: [
            {**VEHICLES[vehicle_id], "vin": EV_VIN if vehicle_id == EV_ID else None}
            for vehicle_id in vehicles
        ],
    }


def connect_unique_id() -> str:
    """One entry per Smartcar application, whatever the path."""
    return token_unique_id(TOKEN)


def query(url: str) -> dict[str, str]:
    """The query of an address, as a dict."""
    return dict(URL(url).query)
