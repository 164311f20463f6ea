"""Repairs and vehicle errors: each raised while its cause stands and gone once it clears."""

from __future__ import annotations

from datetime import timedelta
import json
import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from homeassistant.components.repairs import repairs_flow_manager
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component

from custom_components.smartcar.const import CONF_MANAGEMENT_TOKEN, DOMAIN

from .conftest import EV_ID, Post, fixture_bytes, fixture_json, make_state, sign, vehicle_device
from .smartcar_api import (
    APPLICATION_ID,
    CLIENT_ID,
    CLIENT_SECRET,
    CONNECTIONS_URL,
    connect_entry_data,
    connect_unique_id_of_tests,
    error_body,
    mock_api,
    page,
    v2_entry_data,
    v2_unique_id,
)

ENTRY_ID = "01JSMARTCAR0000000000000000"
NEW_TOKEN = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
SOC = "tractionbattery-stateofcharge"
AUTH_ISSUE = f"vehicle_error_{EV_ID}_connected_services_account_authentication_failed"


# Smartcar can reach this instance: only the repairs under test appear.
pytestmark = pytest.mark.usefixtures("public_url")


def _issue_ids(hass: HomeAssistant) -> set[str]:
    return {issue_id for domain, issue_id in ir.async_get(hass).issues if domain == DOMAIN}


def _error_event(event_id: str, state: str, code: str, error_type: str, **extra: Any) -> bytes:
    document = fixture_json("vehicle_error.json")
    document["eventId"] = event_id
    document["data"]["errors"] = [
        {"type": error_type, "code": code, "state": state, **extra},
    ]
    return json.dumps(document).encode()


async def test_signature_failures_raise_a_fixable_repair(
    hass: HomeAssistant, post: Post, integration: MockConfigEntry
) -> None:
    """Five rejected signatures in a row raise a repair; a good delivery removes it."""
    body = fixture_bytes("vehicle_state_ev_signal_update.json")
    for _ in range(4):
        await post(body, signature="0" * 64)
    assert _issue_ids(hass) == set()
    await post(body, signature="0" * 64)
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"signature_failures_{ENTRY_ID}")
    assert issue is not None
    assert issue.is_fixable
    await post(body)
    assert _issue_ids(hass) == set()


async def test_signature_repair_takes_the_new_token(
    hass: HomeAssistant, post: Post, integration: MockConfigEntry
) -> None:
    """The fix flow stores the rotated token; deliveries signed with it are accepted."""
    unique_id = integration.unique_id
    assert await async_setup_component(hass, "repairs", {})
    body = fixture_bytes("vehicle_state_ev_signal_update.json")
    for _ in range(5):
        await post(body, signature=sign(body, NEW_TOKEN))
    manager = repairs_flow_manager(hass)
    assert manager is not None
    result = await manager.async_init(DOMAIN, data={"issue_id": f"signature_failures_{ENTRY_ID}"})
    assert result["type"] is FlowResultType.FORM
    result = await manager.async_configure(result["flow_id"], {CONF_MANAGEMENT_TOKEN: "nope"})
    assert result["errors"] == {CONF_MANAGEMENT_TOKEN: "invalid_token"}
    result = await manager.async_configure(result["flow_id"], {CONF_MANAGEMENT_TOKEN: NEW_TOKEN})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert integration.data[CONF_MANAGEMENT_TOKEN] == NEW_TOKEN
    assert integration.unique_id == unique_id  # a new token, the same entry
    assert (await post(body, signature=sign(body, NEW_TOKEN))).status == 200
    assert _issue_ids(hass) == set()


async def test_signature_repair_for_removed_entry(
    hass: HomeAssistant, post: Post, integration: MockConfigEntry
) -> None:
    """A fix flow opened after the entry was removed just ends."""
    assert await async_setup_component(hass, "repairs", {})
    for _ in range(5):
        await post(fixture_bytes("vehicle_state_ice.json"), signature="bad")
    manager = repairs_flow_manager(hass)
    assert manager is not None
    flow = await manager.async_init(DOMAIN, data={"issue_id": f"signature_failures_{ENTRY_ID}"})
    await hass.config_entries.async_remove(integration.entry_id)
    result = await manager.async_configure(flow["flow_id"], {CONF_MANAGEMENT_TOKEN: NEW_TOKEN})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "entry_removed"


async def test_vehicle_error_lifecycle(hass: HomeAssistant, post: Post) -> None:
    """An account error: sensor, repair, named signals unavailable; RESOLVED clears all."""
    await post(fixture_bytes("vehicle_state_ev_signal_update.json"))
    await post(fixture_bytes("vehicle_error.json"))
    sensor = hass.states.get("sensor.kia_ev6_vehicle_error")
    assert sensor.state == "authentication_failed"
    assert sensor.attributes["suggested_user_message"] == (
        "Please reconnect your car to keep receiving updates."
    )
    assert sensor.attributes["active_errors"] == 2
    assert _issue_ids(hass) == {AUTH_ISSUE}  # no repair for COMPATIBILITY
    issue = ir.async_get(hass).async_get_issue(DOMAIN, AUTH_ISSUE)
    assert issue.learn_more_url.startswith("https://smartcar.com/docs/errors")
    # Only the signals the error names are affected.
    assert hass.states.get("sensor.kia_ev6_battery").state == STATE_UNAVAILABLE
    assert hass.states.get("device_tracker.kia_ev6_location").state == STATE_UNAVAILABLE
    assert hass.states.get("sensor.kia_ev6_odometer").state == "18452.6"

    await post(
        _error_event("r1", "RESOLVED", "AUTHENTICATION_FAILED", "CONNECTED_SERVICES_ACCOUNT")
    )
    assert _issue_ids(hass) == set()
    assert hass.states.get("sensor.kia_ev6_battery").state == "63"
    assert hass.states.get("sensor.kia_ev6_vehicle_error").state == "vehicle_not_capable"
    await post(_error_event("r2", "RESOLVED", "VEHICLE_NOT_CAPABLE", "COMPATIBILITY"))
    assert hass.states.get("sensor.kia_ev6_vehicle_error").state == "none"


async def test_fresh_value_outranks_a_vehicle_error(hass: HomeAssistant, post: Post) -> None:
    """A new value for a signal an error named brings its entity back."""
    await post(fixture_bytes("vehicle_state_ev_signal_update.json"))
    await post(fixture_bytes("vehicle_error.json"))
    await post(
        make_state(
            {SOC: {"value": 64, "unit": "percent"}}, event_id="n", oem_updated_at=1_767_000_000_000
        )
    )
    assert hass.states.get("sensor.kia_ev6_battery").state == "64"


@pytest.mark.parametrize("code", ["ASLEEP", "UNREACHABLE"])
async def test_asleep_marks_stale_but_keeps_values(
    hass: HomeAssistant, post: Post, code: str
) -> None:
    """An asleep or unreachable car: "reporting" off, values stay; RESOLVED turns it on."""
    await post(fixture_bytes("vehicle_state_ev_signal_update.json"))
    await post(
        _error_event(
            "a1",
            "ERROR",
            code,
            "VEHICLE_STATE",
            signals=[{"code": SOC}],
            resolution={"type": "RETRY_LATER"},
        )
    )
    assert hass.states.get("binary_sensor.kia_ev6_reporting").state == "off"
    assert hass.states.get("sensor.kia_ev6_battery").state == "63"
    assert hass.states.get("sensor.kia_ev6_vehicle_error").state == code.lower()
    assert _issue_ids(hass) == set()
    await post(_error_event("a2", "RESOLVED", code, "VEHICLE_STATE"))
    assert hass.states.get("binary_sensor.kia_ev6_reporting").state == "on"


async def test_unknown_error_code_shows_other(hass: HomeAssistant, post: Post) -> None:
    """An error code the integration does not know is shown as "other", with its details."""
    await post(_error_event("u1", "ERROR", "SOMETHING_NEW", "UPSTREAM", description="New."))
    sensor = hass.states.get("sensor.kia_ev6_vehicle_error")
    assert (sensor.state, sensor.attributes["description"]) == ("other", "New.")


async def test_permission_error_without_signals_raises_repair(
    hass: HomeAssistant, post: Post
) -> None:
    """PERMISSION with REAUTHENTICATE is for the owner to fix, even without named signals."""
    await post(
        _error_event("p1", "ERROR", None, "PERMISSION", resolution={"type": "REAUTHENTICATE"})
    )
    assert _issue_ids(hass) == {f"vehicle_error_{EV_ID}_permission_none"}


@pytest.mark.parametrize(
    ("signals", "repaired"),
    [
        # The account role's sensor is disabled by default; Smartcar has signals we ignore.
        pytest.param(["vehicleuseraccount-role"], False, id="account_role"),
        pytest.param(["vehicleuseraccount-role", "vehicleuseraccount-x"], False, id="unknown"),
        pytest.param(["vehicleuseraccount-role", SOC], True, id="and_the_battery"),
        pytest.param(["closure-doors"], True, id="doors"),
    ],
)
async def test_permission_error_for_signals_nothing_shows_raises_no_repair(
    hass: HomeAssistant, post: Post, signals: list[str], repaired: bool
) -> None:
    """A missing permission only for signals no entity shows: no repair, no reauth.

    One that names a signal of an entity (the battery, the doors) still has its repair.
    """
    await post(fixture_bytes("vehicle_state_ev_signal_update.json"))
    await post(
        _error_event(
            "p2",
            "ERROR",
            None,
            "PERMISSION",
            resolution={"type": "REAUTHENTICATE"},
            signals=[{"code": code} for code in signals],
        )
    )
    expected = {f"vehicle_error_{EV_ID}_permission_none"} if repaired else set()
    assert _issue_ids(hass) == expected
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert hass.states.get("sensor.kia_ev6_vehicle_error").state == "permission"


async def test_vehicle_errors_survive_restart(
    hass: HomeAssistant, post: Post, integration: MockConfigEntry
) -> None:
    """Active errors and the signals they block come back after a restart."""
    await post(fixture_bytes("vehicle_state_ev_signal_update.json"))
    await post(fixture_bytes("vehicle_error.json"))
    assert await hass.config_entries.async_reload(integration.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get("sensor.kia_ev6_vehicle_error").state == "authentication_failed"
    assert hass.states.get("sensor.kia_ev6_battery").state == STATE_UNAVAILABLE
    assert _issue_ids(hass) == {AUTH_ISSUE}


async def test_not_reporting_repair(
    hass: HomeAssistant, post: Post, freezer: FrozenDateTimeFactory
) -> None:
    """No delivery for the staleness time raises a warning; the next delivery clears it."""
    await post(make_state({SOC: {"value": 50, "unit": "percent"}}, event_id="1"))
    freezer.tick(timedelta(hours=24, seconds=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"not_reporting_{EV_ID}")
    assert issue is not None
    assert issue.translation_placeholders == {"vehicle": "Kia EV6", "hours": "24"}
    await post(make_state({SOC: {"value": 50, "unit": "percent"}}, event_id="2"))
    assert _issue_ids(hass) == set()


async def test_not_reporting_is_logged_once_each_way(
    hass: HomeAssistant,
    post: Post,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """One log line when a vehicle stops reporting and one when it is back, not per delivery."""
    with caplog.at_level(logging.INFO, logger="custom_components.smartcar"):
        await post(make_state({SOC: {"value": 50, "unit": "percent"}}, event_id="1"))
        freezer.tick(timedelta(hours=24, seconds=1))
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
        freezer.tick(timedelta(hours=30))
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
        for event_id in ("2", "3"):
            await post(make_state({SOC: {"value": 51, "unit": "percent"}}, event_id=event_id))
    messages = [
        record.getMessage()
        for record in caplog.records
        if record.name == "custom_components.smartcar"
    ]
    assert [message for message in messages if "reporting" in message] == [
        "Kia EV6 stopped reporting: no delivery from Smartcar for 24 hours",
        "Kia EV6 is reporting again",
    ]


async def test_not_reporting_at_startup(
    hass: HomeAssistant, post: Post, integration: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """A vehicle that went quiet while Home Assistant was down is reported at startup."""
    await post(make_state({SOC: {"value": 50, "unit": "percent"}}, event_id="1"))
    await hass.config_entries.async_unload(integration.entry_id)
    freezer.tick(timedelta(days=2))
    assert await hass.config_entries.async_setup(integration.entry_id)
    await hass.async_block_till_done()
    assert f"not_reporting_{EV_ID}" in _issue_ids(hass)
    assert hass.states.get("binary_sensor.kia_ev6_reporting").state == "off"


async def test_removed_vehicle_clears_its_not_reporting_repair(
    hass: HomeAssistant, post: Post, integration: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """Forgetting a vehicle removes its staleness warning and timer."""
    await post(make_state({SOC: {"value": 50, "unit": "percent"}}, event_id="1"))
    integration.runtime_data.async_forget_vehicle(EV_ID)
    freezer.tick(timedelta(days=2))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert _issue_ids(hass) == set()


async def test_no_public_url_repair_follows_network_settings(
    hass: HomeAssistant, integration: MockConfigEntry
) -> None:
    """Without an HTTPS external URL or Cloud a repair explains; setting one removes it."""
    await hass.config.async_update(external_url="http://car.example.org")
    await hass.async_block_till_done()
    assert _issue_ids(hass) == {f"no_public_url_{ENTRY_ID}"}
    await hass.config.async_update(external_url="https://car.example.org")
    await hass.async_block_till_done()
    assert _issue_ids(hass) == set()


async def test_removed_vehicle_clears_its_error_repairs(
    hass: HomeAssistant, post: Post, integration: MockConfigEntry
) -> None:
    """Forgetting a vehicle removes the repairs its errors raised."""
    await post(fixture_bytes("vehicle_state_ev_signal_update.json"))
    await post(
        make_state({"odometer-traveleddistance": {"value": 1, "unit": "furlongs"}}, event_id="u")
    )
    await post(fixture_bytes("vehicle_error.json"))
    assert _issue_ids(hass) == {AUTH_ISSUE}
    integration.runtime_data.async_forget_vehicle(EV_ID)
    assert _issue_ids(hass) == set()


# --- The move of an API v2 Connect entry to v3 -------------------------------------------


async def _v2_entry(hass: HomeAssistant) -> MockConfigEntry:

    assert await async_setup_component(hass, "repairs", {})
    entry = MockConfigEntry(
        domain=DOMAIN, title="Smartcar", data=v2_entry_data(), unique_id=v2_unique_id()
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def test_v2_repair_moves_the_entry_to_v3_in_place(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker
) -> None:
    """New credentials, checked; the user v2 knew is listed on v3: moved, nothing lost."""
    entry = await _v2_entry(hass)
    device = vehicle_device(hass, EV_ID)
    assert device is not None
    issue_id = f"connect_v2_{entry.entry_id}"
    assert issue_id in _issue_ids(hass)
    mock_api(aioclient_mock)
    manager = repairs_flow_manager(hass)
    assert manager is not None
    result = await manager.async_init(DOMAIN, data={"issue_id": issue_id})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "credentials"
    credentials = {
        "application_id": APPLICATION_ID,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
    }
    result = await manager.async_configure(
        result["flow_id"], {**credentials, "application_id": "client_not-a-uuid"}
    )
    assert result["errors"] == {"application_id": "invalid_application_id"}
    result = await manager.async_configure(result["flow_id"], credentials)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.data == connect_entry_data()
    assert entry.unique_id == connect_unique_id_of_tests()
    assert entry.state is ConfigEntryState.LOADED
    assert vehicle_device(hass, EV_ID).id == device.id
    assert issue_id not in _issue_ids(hass)


@pytest.mark.parametrize("listing", ["empty", "refused"])
async def test_v2_repair_without_the_user_on_v3_asks_for_consent(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker, listing: str
) -> None:
    """v3 does not list the user: the form says to grant access through Reconfigure."""
    entry = await _v2_entry(hass)
    if listing == "empty":
        aioclient_mock.get(CONNECTIONS_URL, json=page([]))
    else:
        aioclient_mock.get(
            CONNECTIONS_URL,
            status=400,
            json=error_body("VALIDATION", "MISSING_PARAMETER", 400),
        )
    mock_api(aioclient_mock)
    manager = repairs_flow_manager(hass)
    assert manager is not None
    result = await manager.async_init(DOMAIN, data={"issue_id": f"connect_v2_{entry.entry_id}"})
    result = await manager.async_configure(
        result["flow_id"],
        {"application_id": APPLICATION_ID, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
    )
    assert result["errors"] == {"base": "consent_needed"}
    assert "auth_implementation" in entry.data  # unchanged


async def test_v2_repair_after_the_move_or_removal_ends(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker
) -> None:
    """A fix flow opened for an entry that moved (or is gone) just ends."""
    entry = await _v2_entry(hass)
    manager = repairs_flow_manager(hass)
    assert manager is not None
    flow = await manager.async_init(DOMAIN, data={"issue_id": f"connect_v2_{entry.entry_id}"})
    hass.config_entries.async_update_entry(entry, data=connect_entry_data())
    credentials = {
        "application_id": APPLICATION_ID,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
    }
    result = await manager.async_configure(flow["flow_id"], credentials)
    assert result["reason"] == "already_v3"
    mock_api(aioclient_mock)
    await hass.config_entries.async_remove(entry.entry_id)
    assert _issue_ids(hass) == set()  # the entry's repairs go with it
    ir.async_create_issue(  # a fix flow opened just before the removal
        hass,
        DOMAIN,
        f"connect_v2_{entry.entry_id}",
        is_fixable=True,
        severity="warning",
        translation_key="connect_v2",
        data={"entry_id": entry.entry_id},
    )
    result = await manager.async_init(DOMAIN, data={"issue_id": f"connect_v2_{entry.entry_id}"})
    assert result["reason"] == "entry_removed"
