"""End to end: a real Home Assistant locks a car and refreshes it through Smartcar's API v3.

The simulator's fake API (``simulator/api.py``) runs on a loopback port; the server starts
with ``SMARTCAR_API_BASE_URL`` pointing at it. A Connect entry is added with the control
permissions; the ``smartcar.refresh`` action reads the car (its entities come from the
read, as from a delivery), ``lock.unlock`` sends Smartcar's command (the lock shows
unlocking until confirmed) and a second refresh confirms it. The fake's records show each
call once, with the user's ``sc-user-id``; diagnostics show the commands, the reads and
the calls counted; the server logs no error and no deprecation.
"""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from custom_components.smartcar.api import CONTROL_SCOPES, DEFAULT_SCOPES
from e2e import HomeAssistantClient, HomeAssistantServer
from simulator.api import APPLICATION_ID, CLIENT_ID, CLIENT_SECRET, SmartcarApi
from simulator.payloads import USER_ID

from .conftest import EXTERNAL_URL
from .test_connect import REDIRECT_URI, by_vehicle, start_with_fake_api
from .test_live_server import TOKEN, deprecation_reports, server_errors

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]


async def _unique_ids(client: HomeAssistantClient) -> dict[str, str]:
    """The integration's entity ids by unique id."""
    return {entry["unique_id"]: entry["entity_id"] for entry in await client.entity_registry()}


async def test_lock_and_refresh(server: HomeAssistantServer) -> None:
    """Refresh, unlock (pending), refresh (confirmed): three calls, each made once."""
    async with (
        SmartcarApi(vehicles=1, redirect_uris=[REDIRECT_URI]) as api,
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session,
    ):
        client = await start_with_fake_api(server, api, session)
        entry = await client.create_connect_entry(
            name="Smartcar",
            token=TOKEN,
            application_id=APPLICATION_ID,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            add_dashboard_webhook=api.add_webhook,
            external_url=EXTERNAL_URL,
            scopes=[*DEFAULT_SCOPES, *CONTROL_SCOPES],
        )
        (car,) = api.fleet
        (connection,) = api.connections.values()
        assert set(CONTROL_SCOPES) <= set(connection.permissions)
        device_id = by_vehicle(await client.device_registry())[car.id]["id"]
        calls_before = len(api.calls)

        # The refresh action brings the car's signals, as a delivery would.
        await client.post("/api/services/smartcar/refresh", {"device_id": device_id})
        entities = await _unique_ids(client)
        lock = entities[f"{car.id}_lock"]
        assert (await client.get(f"/api/states/{lock}"))["state"] == "locked"
        assert entities[f"{car.id}_refresh"].startswith("button.")

        # Unlock: Smartcar carries it out; the lock waits for the car to show it.
        await client.post("/api/services/lock/unlock", {"entity_id": lock})
        state = await client.get(f"/api/states/{lock}")
        assert (state["state"], state["attributes"]["pending"]) == ("unlocking", True)
        await client.post("/api/services/smartcar/refresh", {"entity_id": lock})
        state = await client.get(f"/api/states/{lock}")
        assert (state["state"], state["attributes"]["pending"]) == ("unlocked", False)

        calls = api.calls[calls_before:]
        vehicle = f"/vehicle/v3/vehicles/{car.id}"
        assert [(call.method, call.path) for call in calls] == [
            ("GET", f"{vehicle}/signals"),
            ("POST", f"{vehicle}/commands/security/unlock"),
            ("GET", f"{vehicle}/signals"),
        ]
        assert {(call.status, call.user_id) for call in calls} == {(200, USER_ID)}
        diagnostics: dict[str, Any] = (
            await client.get(f"/api/diagnostics/config_entry/{entry.entry_id}")
        )["data"]
        assert [(item["kind"], item["result"]) for item in diagnostics["controls"]] == [
            ("refresh", "applied"),
            ("unlock", "done"),
            ("unlock", "confirmed"),
            ("refresh", "applied"),
        ]
        assert diagnostics["api_calls"][car.id]["used"] == 3

    assert server_errors(server) == []
    assert deprecation_reports(server) == []
