"""Smartcar Connect entries at run time: devices, setup's credentials check, subscriptions.

API v3 entries ask Smartcar for the application token at setup (setup's test) and at no
other time unless a flow or a removal needs the API: nothing is polled. Entries made on
API v2 keep receiving deliveries without any API call and get the repair to move to v3.
"""

from __future__ import annotations

from datetime import timedelta
import logging
from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util

from custom_components.smartcar.account import application_token
from custom_components.smartcar.api_hosts import TOKEN_URL
from custom_components.smartcar.const import CONF_VEHICLES, DOMAIN

from .conftest import (
    EV_ID,
    ICE_ID,
    WEBHOOK_PATH,
    fixture_bytes,
    remove_device,
    sign,
    vehicle_device,
)
from .smartcar_api import (
    APP_TOKEN,
    APPLICATION_ID,
    CLIENT_ID,
    CLIENT_SECRET,
    EV_VIN,
    SMARTCAR_WEBHOOK_ID,
    SUBSCRIPTIONS_URL,
    USER_ID,
    calls,
    connect_entry_data,
    connect_unique_id_of_tests,
    error_body,
    mock_api,
    setup_connect_entry,
    token_requests,
    v2_entry_data,
    v2_unique_id,
)


async def _add(hass: HomeAssistant, data: dict[str, Any], unique_id: str) -> MockConfigEntry:
    entry = MockConfigEntry(domain=DOMAIN, title="Smartcar", data=data, unique_id=unique_id)
    entry.add_to_hass(hass)
    return entry


async def _setup(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    vehicles: tuple[str, ...] = (EV_ID,),
) -> MockConfigEntry:
    return await setup_connect_entry(hass, aioclient_mock, vehicles=vehicles)


async def test_devices_exist_before_any_delivery(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker
) -> None:
    """The subscribed vehicles' devices are there at setup; the VIN is the serial number."""
    entry = await _setup(hass, aioclient_mock, (EV_ID, ICE_ID))
    registry = dr.async_get(hass)
    ev = vehicle_device(hass, EV_ID)
    assert ev is not None
    assert (ev.name, ev.manufacturer, ev.model, ev.model_id, ev.serial_number) == (
        "Kia EV6",
        "Kia",
        "EV6",
        "2023",
        EV_VIN,
    )
    assert ev in dr.async_entries_for_config_entry(registry, entry.entry_id)
    assert vehicle_device(hass, ICE_ID) is not None
    assert hass.states.async_all("sensor") == []


async def test_setup_checks_the_credentials_once_and_polls_nothing(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker
) -> None:
    """Setup asks for the application token (client credentials in the body), then nothing."""
    entry = await _setup(hass, aioclient_mock)
    assert entry.state is ConfigEntryState.LOADED
    (_, _, form, _), *_ = token_requests(aioclient_mock)
    assert form == {
        "grant_type": "client_credentials",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
    }
    assert aioclient_mock.call_count == 1
    assert await application_token(hass, entry.data)() == APP_TOKEN  # in memory, not stored
    assert aioclient_mock.call_count == 1
    assert APP_TOKEN not in str(entry.data)
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(days=30))
    await hass.async_block_till_done()
    assert aioclient_mock.call_count == 1


@pytest.mark.parametrize(
    ("status", "body"),
    [(401, {"error": "invalid_client"}), (400, {"error": "invalid_request"})],
)
async def test_refused_credentials_at_setup_ask_for_new_ones(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    status: int,
    body: dict[str, str],
) -> None:
    """Smartcar refuses the API credentials: setup stops and asks for them (reauth)."""
    aioclient_mock.post(TOKEN_URL, status=status, json=body)
    entry = await _add(hass, connect_entry_data(), connect_unique_id_of_tests())
    assert not await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert entry.reason == (
        "Smartcar refused the API credentials of Smartcar. Enter them again: "
        "Settings > Devices & services shows the request"
    )
    flows = hass.config_entries.flow.async_progress()
    assert [(flow["context"]["source"], flow["step_id"]) for flow in flows] == [
        ("reauth", "reauth_confirm")
    ]


@pytest.mark.parametrize("status", [500, 503, 429])
async def test_unreachable_smartcar_at_setup_is_retried(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker, status: int
) -> None:
    """Smartcar's token service failing is retried by Home Assistant; no reauth."""
    aioclient_mock.post(TOKEN_URL, status=status, text="unavailable")
    entry = await _add(hass, connect_entry_data(), connect_unique_id_of_tests())
    assert not await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert entry.reason == (
        "Smartcar's API cannot be reached to check the credentials of Smartcar. Home "
        "Assistant tries again by itself; deliveries arrive once the entry is set up"
    )
    assert hass.config_entries.flow.async_progress() == []


async def test_listed_vin_survives_deliveries_without_it(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker, hass_client_no_auth: Any
) -> None:
    """A delivery that does not carry the VIN signal keeps the VIN the API listed."""
    entry = await _setup(hass, aioclient_mock)
    client = await hass_client_no_auth()
    body = fixture_bytes("vehicle_state_first_delivery.json")
    response = await client.post(WEBHOOK_PATH, data=body, headers={"SC-Signature": sign(body)})
    assert response.status == 200
    await hass.async_block_till_done()
    assert vehicle_device(hass, EV_ID).serial_number == EV_VIN

    # After a restart the vehicle is known from storage; the listed VIN still applies.
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert vehicle_device(hass, EV_ID).serial_number == EV_VIN


async def test_removed_device_is_unsubscribed_and_stays_removed(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker, hass_ws_client: Any
) -> None:
    """Removing a vehicle's device unsubscribes it; the next setup does not bring it back."""
    entry = await _setup(hass, aioclient_mock, (EV_ID, ICE_ID))
    device = vehicle_device(hass, ICE_ID)
    assert device is not None
    await remove_device(hass, hass_ws_client, entry.entry_id, device.id)
    assert [item["id"] for item in entry.data[CONF_VEHICLES]] == [EV_ID]
    (_, listed, _, _), *_ = calls(aioclient_mock, "get", SUBSCRIPTIONS_URL)
    assert listed.query["filter[vehicleId]"] == ICE_ID
    assert listed.query["filter[webhookId]"] == SMARTCAR_WEBHOOK_ID
    assert listed.query["filter[userId]"] == USER_ID
    assert len(calls(aioclient_mock, "delete", f"{SUBSCRIPTIONS_URL}/sub-1")) == 1
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert vehicle_device(hass, ICE_ID) is None
    assert vehicle_device(hass, EV_ID) is not None


async def test_removing_an_unlisted_vehicle_keeps_the_list(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    hass_client_no_auth: Any,
    hass_ws_client: Any,
) -> None:
    """A vehicle that came by webhook only (another account) leaves the list alone."""
    entry = await _setup(hass, aioclient_mock, (ICE_ID,))
    client = await hass_client_no_auth()
    body = fixture_bytes("vehicle_state_first_delivery.json")
    await client.post(WEBHOOK_PATH, data=body, headers={"SC-Signature": sign(body)})
    await hass.async_block_till_done()
    device = vehicle_device(hass, EV_ID)
    assert device is not None
    aioclient_mock.clear_requests()
    await remove_device(hass, hass_ws_client, entry.entry_id, device.id)
    assert [item["id"] for item in entry.data[CONF_VEHICLES]] == [ICE_ID]
    assert aioclient_mock.call_count == 0


async def test_removing_the_entry_unsubscribes_its_vehicles(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker, caplog: pytest.LogCaptureFixture
) -> None:
    """The entry's vehicles are unsubscribed; a failure is reported, the removal goes on."""
    entry = await _setup(hass, aioclient_mock, (EV_ID, ICE_ID))
    aioclient_mock.clear_requests()
    aioclient_mock.get(
        f"{SUBSCRIPTIONS_URL}?filter[vehicleId]={ICE_ID}",
        status=403,
        json=error_body("PERMISSION", status=403),
    )
    mock_api(aioclient_mock)
    with caplog.at_level(logging.WARNING):
        assert await hass.config_entries.async_remove(entry.entry_id)
        await hass.async_block_till_done()
    assert hass.config_entries.async_entries(DOMAIN) == []
    assert len(calls(aioclient_mock, "delete", f"{SUBSCRIPTIONS_URL}/sub-1")) == 1  # the EV
    assert (
        f"Cannot unsubscribe vehicle {ICE_ID} of Smartcar from the Smartcar webhook" in caplog.text
    )
    assert "remove its subscription in the Smartcar Dashboard" in caplog.text


async def test_v2_entry_keeps_deliveries_and_is_asked_to_move(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker, hass_client_no_auth: Any
) -> None:
    """An entry made on API v2: no API call, deliveries work, a repair offers the move."""
    entry = await _add(hass, v2_entry_data(), v2_unique_id())
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert aioclient_mock.call_count == 0
    assert vehicle_device(hass, EV_ID) is not None
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"connect_v2_{entry.entry_id}")
    assert issue is not None
    assert issue.is_fixable
    assert issue.severity is ir.IssueSeverity.WARNING
    assert issue.translation_placeholders["entry"] == "Smartcar"
    body = fixture_bytes("vehicle_state_ev_signal_update.json")
    client = await hass_client_no_auth()
    response = await client.post(WEBHOOK_PATH, data=body, headers={"SC-Signature": sign(body)})
    assert response.status == 200
    await hass.async_block_till_done()
    assert hass.states.get("sensor.kia_ev6_battery").state == "63"
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(days=30))
    await hass.async_block_till_done()
    assert aioclient_mock.call_count == 0  # the v2 sign-in is never refreshed any more


async def test_diagnostics_redact_the_credentials(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker, hass_client: Any
) -> None:
    """API credentials, Application ID, user id, webhook id and VINs never reach diagnostics."""
    from pytest_homeassistant_custom_component.components.diagnostics import (
        get_diagnostics_for_config_entry,
    )

    assert await async_setup_component(hass, "diagnostics", {})
    entry = await _setup(hass, aioclient_mock)
    text = str(await get_diagnostics_for_config_entry(hass, hass_client, entry))
    for secret in (CLIENT_SECRET, CLIENT_ID, APPLICATION_ID, APP_TOKEN, SMARTCAR_WEBHOOK_ID):
        assert secret not in text
    for personal in (USER_ID, EV_VIN):
        assert personal not in text
