"""End to end: Smartcar Connect on API v3, from "Add integration" to deliveries.

The simulator's fake Smartcar API v3 (``simulator/api.py``) runs in this process on a
loopback port, and the server starts with ``SMARTCAR_API_BASE_URL`` pointing at it, so the
integration's token, Connect, vehicle and management calls all go there. The owner is
onboarded, the Connect entry is added through the config-flow REST API (the owner's
browser is played by the e2e client: Connect's redirect lands on Home Assistant's
``/api/smartcar/callback``), the fake's records are checked (token grant, consent,
subscriptions), the devices must exist before any delivery, and then the simulator's
deliveries for the same vehicles must show up in their entities. Removing a device, then
the entry, must unsubscribe the vehicles. The server's log must name neither the client secret nor a
token, and report no deprecation.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any
from unittest.mock import ANY

import aiohttp
import pytest
from yarl import URL

from e2e import HomeAssistantClient, HomeAssistantServer
import simulator
from simulator.api import APPLICATION_ID, CLIENT_ID, CLIENT_SECRET, SmartcarApi, vin
from simulator.payloads import USER_ID

from .conftest import EXTERNAL_URL
from .expected import catalog_expectations, plain_expectations
from .test_live_server import (
    FULL_SPEED,
    OWNER,
    TOKEN,
    VEHICLES,
    Stopwatch,
    deprecation_reports,
    mismatches,
    server_errors,
    smartcar_entities,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

API_VARIABLE = "SMARTCAR_API_BASE_URL"
REDIRECT_URI = f"{EXTERNAL_URL}/api/smartcar/callback"
GRANT = {"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
STATES_TIMEOUT = 10.0


async def start_with_fake_api(
    server: HomeAssistantServer, api: SmartcarApi, session: aiohttp.ClientSession
) -> HomeAssistantClient:
    """Start the server with Smartcar's API at the fake, onboard it, wait until it runs."""
    server.extra_env[API_VARIABLE] = api.url
    server.start()
    await server.wait_http()
    client = HomeAssistantClient(session, server.url)
    await client.onboard(**OWNER, complete=False)
    assert client.access_token is not None
    await server.wait_running(client.access_token)
    return client


async def states_matching(
    client: HomeAssistantClient, entities: dict[str, dict[str, str]]
) -> dict[str, dict[str, str]]:
    """Per vehicle, what differs from the scenario's last values (polled until nothing does).

    The simulator has every delivery answered before it returns; the states it caused are
    written in the same instant, give or take a loop iteration, so this rarely waits.
    """
    expected = simulator.expected_state("full", VEHICLES)
    deadline = time.monotonic() + STATES_TIMEOUT
    while True:
        states = await client.states()
        problems: dict[str, dict[str, str]] = {}
        for vehicle_id, car in expected.items():
            mine = entities.get(vehicle_id, {})
            found = mismatches(catalog_expectations(car.signals), mine, states)
            found |= mismatches(plain_expectations(car.signals), mine, states)
            if found:
                problems[vehicle_id] = found
        if not problems or time.monotonic() > deadline:
            return problems
        await asyncio.sleep(0.2)


def by_vehicle(devices: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The Smartcar devices by vehicle id."""
    return {
        identifier[1]: device
        for device in devices
        for identifier in device["identifiers"]
        if identifier[0] == "smartcar"
    }


async def test_connect_from_add_integration_to_deliveries(  # noqa: PLR0915 (one journey)
    server: HomeAssistantServer,
) -> None:
    """Consent, token, webhook, subscriptions and devices; then deliveries reach them."""
    stopwatch = Stopwatch()
    async with (
        SmartcarApi(vehicles=VEHICLES, redirect_uris=[REDIRECT_URI]) as api,
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session,
    ):
        client = await start_with_fake_api(server, api, session)
        version = (await client.get("/api/config"))["version"]
        stopwatch.lap("first start and onboarding")
        assert (api.token_grants, api.consents, api.calls) == ([], [], [])

        entry = await client.create_connect_entry(
            name="Smartcar",
            token=TOKEN,
            application_id=APPLICATION_ID,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            add_dashboard_webhook=api.add_webhook,
            external_url=EXTERNAL_URL,
        )
        entries = await client.config_entries()
        assert [(e["entry_id"], e["state"]) for e in entries] == [(entry.entry_id, "loaded")]
        stopwatch.lap("Connect flow")

        # The application's token: the client-credentials grant, id and secret in a form;
        # asked for once, by the credentials step before Connect. The flow's calls and
        # setup's check use that one token (one per API client, valid for an hour).
        (consent,) = api.consents
        assert len(api.token_grants) == 1
        assert api.token_grants[0].at < consent.at
        for grant in api.token_grants:
            assert grant.content_type == "application/x-www-form-urlencoded"
            assert grant.form == GRANT
            assert not grant.basic_auth
            assert grant.status == 200
        # Consent: Connect was sent the Application ID and the registered redirect URI,
        # and its redirect (with the user's id) came back to Home Assistant.
        assert entry.redirect_uri == REDIRECT_URI
        assert consent.status == 302
        assert consent.user_id == USER_ID
        assert consent.query["client_id"] == APPLICATION_ID
        assert consent.query["redirect_uri"] == REDIRECT_URI
        assert consent.query["response_type"] == "code"
        assert consent.query["mode"] == "live"
        assert set(consent.query["scope"].split()) == {*entry.scopes, "read_vehicle_info"}
        assert consent.location is not None
        redirect = URL(consent.location)
        assert str(redirect.with_query(None)) == REDIRECT_URI
        assert dict(redirect.query) == {"user_id": USER_ID, "state": consent.query["state"]}
        # The Dashboard webhook, found by its callback URI; one subscription per vehicle.
        (webhook,) = api.webhooks.values()
        assert webhook.callback_uri == entry.callback_url
        assert entry.callback_url == f"{EXTERNAL_URL}/api/webhook/{entry.webhook_id}"
        cars = {car.id: car for car in api.fleet}
        assert set(entry.vehicles) == set(cars)
        assert sorted(
            (s.webhook_id, s.user_id, s.vehicle_id) for s in api.subscriptions.values()
        ) == sorted((webhook.id, USER_ID, vehicle_id) for vehicle_id in cars)
        # Every API call carried a token the fake issued; none was refused.
        assert api.calls
        assert {call.bearer for call in api.calls} <= set(api.issued_tokens)
        assert [c for c in api.calls if c.status >= 400] == []
        vin_reads = [c for c in api.calls if c.path.endswith("/vehicleidentification-vin")]
        assert sorted(c.path.split("/")[4] for c in vin_reads) == sorted(cars)
        assert {c.user_id for c in vin_reads} == {USER_ID}

        # The devices exist before any delivery: make, model, year and VIN from the API.
        devices = by_vehicle(await client.device_registry())
        assert set(devices) == set(cars)
        for vehicle_id, car in cars.items():
            device = devices[vehicle_id]
            assert entry.entry_id in device["config_entries"]
            assert device["manufacturer"].upper() == car.make
            assert device["model"] == car.model
            assert device["model_id"] == str(car.year)
            assert device["serial_number"] == vin(car)
        # Only each car's refresh button (a Connect entry can read the car at once); the
        # entities of its values come with the deliveries.
        assert await smartcar_entities(client) == {
            vehicle_id: {"refresh": ANY} for vehicle_id in cars
        }
        stopwatch.lap("checks before any delivery")

        report = await simulator.run(
            entry.webhook_url(server.url),
            TOKEN,
            vehicles=VEHICLES,
            scenario="full",
            speed=FULL_SPEED,
        )
        assert report.exit_code == 0, report.summary_lines()
        assert report.accepted == report.events == len(simulator.timeline("full", VEHICLES))
        stopwatch.lap(f"full scenario ({report.events} events)")
        entities = await smartcar_entities(client)
        assert set(entities) == set(cars)
        assert await states_matching(client, entities) == {}
        # The deliveries went to the listed devices: no other device appeared.
        after = by_vehicle(await client.device_registry())
        assert {v: d["id"] for v, d in after.items()} == {v: d["id"] for v, d in devices.items()}
        stopwatch.lap(f"checks of {sum(map(len, entities.values()))} entities")

        # Removing a vehicle's device unsubscribes it at Smartcar (in the background)...
        first, *others = sorted(cars)
        await client.websocket_command(
            {
                "type": "config/device_registry/remove_config_entry",
                "config_entry_id": entry.entry_id,
                "device_id": devices[first]["id"],
            }
        )
        await api.wait_for(lambda: bool(api.deleted_subscriptions))
        assert [s.vehicle_id for s in api.deleted_subscriptions] == [first]
        assert set(by_vehicle(await client.device_registry())) == set(others)
        # ...and removing the entry unsubscribes the others.
        await client.request("DELETE", f"/api/config/config_entries/entry/{entry.entry_id}")
        assert api.subscriptions == {}
        assert sorted(s.vehicle_id for s in api.deleted_subscriptions) == sorted(cars)
        assert [c for c in api.calls if c.status >= 400] == []
        stopwatch.lap("removals")

        print(f"\nserver: Home Assistant {version} on {server.python}")
        print(f"timings: {stopwatch}")
        print(f"token grants: {len(api.token_grants)}, API calls: {len(api.calls)}")

    assert server_errors(server) == []
    assert deprecation_reports(server) == []
    log = "\n".join(server.log_lines())
    for secret in (CLIENT_SECRET, TOKEN, *api.issued_tokens):
        assert secret not in log
