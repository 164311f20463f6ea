"""Smartcar Connect entries at run time: devices, token refresh with rotation, reauth."""

from __future__ import annotations

from datetime import timedelta
import logging
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_TOKEN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.config_entry_oauth2_flow import (
    MY_AUTH_CALLBACK_PATH,
    ImplementationUnavailableError,
)
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util

from custom_components.smartcar import application_credentials
from custom_components.smartcar.api import AUTHORIZE_URL, TOKEN_URL
from custom_components.smartcar.const import CONF_VEHICLES, DASHBOARD_URL, DOMAIN
from custom_components.smartcar.oauth import KEEPALIVE_INTERVAL, REFRESH_AFTER

from .conftest import EV_ID, ICE_ID, WEBHOOK_PATH, basic_auth, fixture_bytes, sign, vehicle_device
from .smartcar_api import (
    CLIENT_ID,
    CLIENT_SECRET,
    EV_VIN,
    connect_entry_data,
    connect_unique_id,
    setup_credentials,
    stored_token,
    token_payload,
    token_requests,
)

WEEK = REFRESH_AFTER.total_seconds()


async def _setup(
    hass: HomeAssistant, data: dict[str, Any], *, credentials: bool = True
) -> MockConfigEntry:
    entry = await _add(hass, data, credentials=credentials)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def _setup_failing(
    hass: HomeAssistant, data: dict[str, Any], *, credentials: bool = True
) -> MockConfigEntry:
    entry = await _add(hass, data, credentials=credentials)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def _add(hass: HomeAssistant, data: dict[str, Any], *, credentials: bool) -> MockConfigEntry:
    if credentials:
        await setup_credentials(hass)
    entry = MockConfigEntry(
        domain=DOMAIN, title="Smartcar", data=data, unique_id=connect_unique_id()
    )
    entry.add_to_hass(hass)
    return entry


async def test_devices_exist_before_any_delivery(hass: HomeAssistant) -> None:
    """The subscribed vehicles' devices are there at setup; the VIN is the serial number."""
    entry = await _setup(hass, connect_entry_data(vehicles=(EV_ID, ICE_ID)))
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


async def test_listed_vin_survives_deliveries_without_it(
    hass: HomeAssistant, hass_client_no_auth: Any
) -> None:
    """A delivery that does not carry the VIN signal keeps the VIN the API listed."""
    entry = await _setup(hass, connect_entry_data())
    client = await hass_client_no_auth()
    body = fixture_bytes("vehicle_state_first_delivery.json")
    response = await client.post(WEBHOOK_PATH, data=body, headers={"SC-Signature": sign(body)})
    assert response.status == 200
    await hass.async_block_till_done()
    device = vehicle_device(hass, EV_ID)
    assert device is not None
    assert device.serial_number == EV_VIN

    # After a restart the vehicle is known from storage; the listed VIN still applies.
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    device = vehicle_device(hass, EV_ID)
    assert device is not None
    assert device.serial_number == EV_VIN


async def test_removed_device_stays_removed(hass: HomeAssistant, hass_ws_client: Any) -> None:
    """A vehicle whose device the user removes is not brought back by the next setup."""
    entry = await _setup(hass, connect_entry_data(vehicles=(EV_ID, ICE_ID)))
    device = vehicle_device(hass, ICE_ID)
    assert device is not None
    assert await async_setup_component(hass, "config", {})
    client = await hass_ws_client(hass)
    await client.send_json_auto_id(
        {
            "type": "config/device_registry/remove_config_entry",
            "config_entry_id": entry.entry_id,
            "device_id": device.id,
        }
    )
    assert (await client.receive_json())["success"]
    assert [item["id"] for item in entry.data[CONF_VEHICLES]] == [EV_ID]
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert vehicle_device(hass, ICE_ID) is None
    assert vehicle_device(hass, EV_ID) is not None


async def test_removing_an_unlisted_vehicle_keeps_the_list(
    hass: HomeAssistant, hass_client_no_auth: Any, hass_ws_client: Any
) -> None:
    """A vehicle that came by webhook only (another account) leaves the list alone."""
    entry = await _setup(hass, connect_entry_data(vehicles=(ICE_ID,)))
    client = await hass_client_no_auth()
    body = fixture_bytes("vehicle_state_first_delivery.json")
    await client.post(WEBHOOK_PATH, data=body, headers={"SC-Signature": sign(body)})
    await hass.async_block_till_done()
    device = vehicle_device(hass, EV_ID)
    assert device is not None
    assert await async_setup_component(hass, "config", {})
    ws = await hass_ws_client(hass)
    await ws.send_json_auto_id(
        {
            "type": "config/device_registry/remove_config_entry",
            "config_entry_id": entry.entry_id,
            "device_id": device.id,
        }
    )
    assert (await ws.receive_json())["success"]
    assert [item["id"] for item in entry.data[CONF_VEHICLES]] == [ICE_ID]


async def test_fresh_sign_in_is_left_alone(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker
) -> None:
    """No polling: a token younger than a week causes no request at all."""
    await _setup(hass, connect_entry_data(token=stored_token(1, age=3 * 3600)))
    async_fire_time_changed(hass, dt_util.utcnow() + KEEPALIVE_INTERVAL)
    await hass.async_block_till_done()
    assert aioclient_mock.call_count == 0


async def test_old_sign_in_is_refreshed_and_rotated(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker, freezer: FrozenDateTimeFactory
) -> None:
    """A week-old token is refreshed; each new refresh token is stored and used next."""
    aioclient_mock.post(TOKEN_URL, json=token_payload(2))
    entry = await _setup(hass, connect_entry_data(token=stored_token(1, age=WEEK + 60)))
    (_, _, form, headers), *_ = token_requests(aioclient_mock)
    assert form == {"grant_type": "refresh_token", "refresh_token": "refresh-1"}
    assert headers["Authorization"] == basic_auth(CLIENT_ID, CLIENT_SECRET)
    token = entry.data[CONF_TOKEN]
    assert (token["access_token"], token["refresh_token"]) == ("access-2", "refresh-2")

    # A week later the stored (rotated) refresh token is the one sent.
    aioclient_mock.clear_requests()
    aioclient_mock.post(TOKEN_URL, json=token_payload(3))
    async_fire_time_changed(hass, dt_util.utcnow() + KEEPALIVE_INTERVAL)
    await hass.async_block_till_done()
    assert token_requests(aioclient_mock) == []  # not a week yet
    freezer.tick(REFRESH_AFTER)
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    (_, _, form, _), *_ = token_requests(aioclient_mock)
    assert form["refresh_token"] == "refresh-2"
    assert entry.data[CONF_TOKEN]["refresh_token"] == "refresh-3"


async def test_refresh_without_new_refresh_token_keeps_the_old_one(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker
) -> None:
    """Should Smartcar not rotate the refresh token once, the stored one stays."""
    payload = token_payload(2)
    del payload["refresh_token"]
    aioclient_mock.post(TOKEN_URL, json=payload)
    entry = await _setup(hass, connect_entry_data(token=stored_token(1, age=WEEK + 60)))
    assert entry.data[CONF_TOKEN]["access_token"] == "access-2"
    assert entry.data[CONF_TOKEN]["refresh_token"] == "refresh-1"


REFUSALS = pytest.mark.parametrize(
    ("status", "body"),
    [(400, {"error": "invalid_grant", "error_description": "Expired"}), (401, None)],
)


def _reauth_flows(hass: HomeAssistant) -> list[tuple[str, str]]:
    return [
        (flow["context"]["source"], flow["step_id"])
        for flow in hass.config_entries.flow.async_progress()
    ]


@REFUSALS
async def test_sign_in_refused_at_setup_asks_to_sign_in_again(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    status: int,
    body: dict[str, str] | None,
) -> None:
    """Tested before setup: a refused refresh stops the setup and asks to sign in again."""
    aioclient_mock.post(TOKEN_URL, status=status, json=body, text=None if body else "denied")
    entry = await _setup_failing(hass, connect_entry_data(token=stored_token(1, age=WEEK + 60)))
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert entry.reason == (
        "Smartcar refused the sign-in of Smartcar. Sign in again: Settings > Devices & "
        "services shows the request to reauthenticate"
    )
    assert _reauth_flows(hass) == [("reauth", "reauth_confirm")]


@REFUSALS
async def test_sign_in_refused_while_running_keeps_deliveries(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    hass_client_no_auth: Any,
    freezer: FrozenDateTimeFactory,
    status: int,
    body: dict[str, str] | None,
) -> None:
    """A week later Smartcar refuses: sign in again is asked, deliveries keep arriving."""
    entry = await _setup(hass, connect_entry_data(token=stored_token(1, age=3600)))
    aioclient_mock.post(TOKEN_URL, status=status, json=body, text=None if body else "denied")
    freezer.tick(REFRESH_AFTER)
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert token_requests(aioclient_mock)
    assert entry.state is ConfigEntryState.LOADED
    assert _reauth_flows(hass) == [("reauth", "reauth_confirm")]
    body_bytes = fixture_bytes("vehicle_state_ev_signal_update.json")
    client = await hass_client_no_auth()
    response = await client.post(
        WEBHOOK_PATH, data=body_bytes, headers={"SC-Signature": sign(body_bytes)}
    )
    assert response.status == 200
    assert hass.states.get("sensor.kia_ev6_battery").state == "63"


async def test_passing_trouble_at_setup_is_retried(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker
) -> None:
    """Smartcar's token endpoint down at setup: setup is retried, no reauth is asked."""
    aioclient_mock.post(TOKEN_URL, status=503, text="Service Unavailable")
    entry = await _setup_failing(hass, connect_entry_data(token=stored_token(1, age=WEEK + 60)))
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert entry.reason == (
        "Smartcar cannot check the sign-in of Smartcar now. Home Assistant tries again by "
        "itself; deliveries arrive once the entry is set up"
    )
    assert hass.config_entries.flow.async_progress() == []
    assert entry.data[CONF_TOKEN]["refresh_token"] == "refresh-1"


async def test_passing_trouble_while_running_does_not_ask_to_sign_in(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    caplog: pytest.LogCaptureFixture,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Smartcar's token endpoint failing for a while is no reason for a reauth."""
    entry = await _setup(hass, connect_entry_data(token=stored_token(1, age=3600)))
    aioclient_mock.post(TOKEN_URL, status=503, text="Service Unavailable")
    freezer.tick(REFRESH_AFTER)
    with caplog.at_level(logging.INFO):
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
    assert token_requests(aioclient_mock)
    assert entry.state is ConfigEntryState.LOADED
    assert hass.config_entries.flow.async_progress() == []
    assert entry.data[CONF_TOKEN]["refresh_token"] == "refresh-1"
    assert "Cannot refresh the Smartcar sign-in of Smartcar now" in caplog.text


async def test_missing_credentials_ask_to_sign_in_again(hass: HomeAssistant) -> None:
    """Application credentials removed: setup stops and asks to sign in (and add them)."""
    assert await async_setup_component(hass, "application_credentials", {})
    entry = await _setup_failing(
        hass, connect_entry_data(token=stored_token(1, age=3600)), credentials=False
    )
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert entry.reason == (
        "The application credentials that Smartcar signs in with are gone. Sign in again to "
        "choose or enter the Smartcar application's client ID and secret"
    )
    assert _reauth_flows(hass) == [("reauth", "reauth_confirm")]


async def test_unavailable_credentials_are_retried(hass: HomeAssistant) -> None:
    """Credentials that cannot be read now (a cloud-provided implementation): retried."""
    await setup_credentials(hass)
    with patch(
        "custom_components.smartcar.oauth.async_get_config_entry_implementation",
        side_effect=ImplementationUnavailableError("not now"),
    ):
        entry = await _setup_failing(
            hass, connect_entry_data(token=stored_token(1, age=3600)), credentials=False
        )
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert entry.reason == (
        "The application credentials of Smartcar cannot be read now. Home Assistant tries "
        "again by itself"
    )
    assert hass.config_entries.flow.async_progress() == []


async def test_keepalive_stops_with_the_entry(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker
) -> None:
    """An unloaded entry schedules nothing."""
    entry = await _setup(hass, connect_entry_data())
    assert await hass.config_entries.async_unload(entry.entry_id)
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(days=30))
    await hass.async_block_till_done()
    assert aioclient_mock.call_count == 0


async def test_application_credentials_platform(hass: HomeAssistant) -> None:
    """Smartcar Connect's endpoints, and what the credentials dialog tells the user."""
    server = await application_credentials.async_get_authorization_server(hass)
    assert (server.authorize_url, server.token_url) == (AUTHORIZE_URL, TOKEN_URL)
    assert await application_credentials.async_get_description_placeholders(hass) == {
        "dashboard_url": DASHBOARD_URL,
        "redirect_url": MY_AUTH_CALLBACK_PATH,
    }


async def test_diagnostics_redact_the_sign_in(hass: HomeAssistant, hass_client: Any) -> None:
    """The OAuth tokens, user id, Dashboard webhook id and VINs never reach diagnostics."""
    from pytest_homeassistant_custom_component.components.diagnostics import (
        get_diagnostics_for_config_entry,
    )

    from .smartcar_api import SMARTCAR_WEBHOOK_ID, USER_ID

    assert await async_setup_component(hass, "diagnostics", {})
    entry = await _setup(hass, connect_entry_data())
    text = str(await get_diagnostics_for_config_entry(hass, hass_client, entry))
    for secret in ("access-1", "refresh-1", SMARTCAR_WEBHOOK_ID, USER_ID, EV_VIN):
        assert secret not in text
