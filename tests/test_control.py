"""Acting and reading within Smartcar's limits.

The refresh action, every failure explained, the monthly call count across restarts,
diagnostics, and the permissions Connect offers.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aiohttp import ClientConnectionError
from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
    get_diagnostics_for_device,
)

from homeassistant.config_entries import SOURCE_REAUTH, SOURCE_USER
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component

from custom_components.smartcar.api import CONTROL_SCOPES, DEFAULT_SCOPES
from custom_components.smartcar.const import CONF_SCOPES, DOMAIN
from custom_components.smartcar.control_log import RECENT_CONTROLS

from .conftest import EV_ID, Post, make_state, vehicle_device
from .smartcar_api import USER_ID
from .smartcar_car import COMMAND, READ, REQUEST_ID, FakeCar

LOCK = "lock.kia_ev6_lock"
API_CALLS = "sensor.kia_ev6_api_calls_this_month"
CALLS_KEY = "smartcar.01JSMARTCARCONNECT00000000.api_calls"
# The frozen "now" of these tests, and its month as the call count stores it.
NOW = "2026-12-15T12:00:00+00:00"
MONTH = "2026-12"


@pytest.fixture(autouse=True)
def now(freezer: FrozenDateTimeFactory) -> FrozenDateTimeFactory:
    """Mid-December 2026: the month ends on 2027-01-01 00:00 UTC."""
    freezer.move_to(NOW)
    return freezer


async def unlock(hass: HomeAssistant) -> None:
    """``lock.unlock`` of the car's lock."""
    await hass.services.async_call("lock", "unlock", {"entity_id": LOCK}, blocking=True)


async def refresh(hass: HomeAssistant, **target: Any) -> None:
    """The ``smartcar.refresh`` action with a target."""
    await hass.services.async_call(DOMAIN, "refresh", target, blocking=True)


def error_body(error_type: str, code: str | None, status: int, message: str | None = None) -> dict:
    """Smartcar's documented error body, with a suggested message for the user."""
    return {
        "type": error_type,
        "code": code,
        "description": f"{error_type} (invented)",
        "statusCode": status,
        "requestId": "req-err-1",
        "resolution": {"type": None},
        "suggestedUserMessage": message,
    }


# --- The action -------------------------------------------------------------------------


async def test_refresh_targets_a_device_or_an_entity(
    hass: HomeAssistant, car: FakeCar, deliver: Any
) -> None:
    """Its device, or one of its entities (from automations and scripts): one read each."""
    await deliver(car.delivery())
    car.change("tractionbattery-stateofcharge", {"value": 64, "unit": "percent"})
    await refresh(hass, device_id=vehicle_device(hass, EV_ID).id)
    assert hass.states.get("sensor.kia_ev6_battery").state == "64"
    await refresh(hass, entity_id="sensor.kia_ev6_battery")
    assert car.reads == ["all", "all"]


async def test_refresh_needs_a_smartcar_vehicle(hass: HomeAssistant, controls: Any) -> None:
    """A target that is no Smartcar vehicle is the user's mistake, said so."""
    with pytest.raises(ServiceValidationError) as refused:
        await refresh(hass, entity_id="sun.sun")
    assert refused.value.translation_key == "no_vehicle"


async def test_webhook_only_vehicles_cannot_refresh(hass: HomeAssistant, post: Post) -> None:
    """A webhook-only entry has no API to read: said so, naming the entry."""
    await post(make_state({"tractionbattery-stateofcharge": {"value": 63}}))
    with pytest.raises(ServiceValidationError) as refused:
        await refresh(hass, device_id=vehicle_device(hass, EV_ID).id)
    assert str(refused.value).startswith("Smartcar only receives webhooks")
    assert hass.states.get(API_CALLS) is None  # and it calls nothing


# --- Every failure, explained -----------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "kind", "key", "message"),
    [
        (
            {"status": 403, "json": error_body("PERMISSION", None, 403, "Ask the owner.")},
            ServiceValidationError,
            "permission_missing",
            (
                "This needs the Smartcar permission control_security for Kia EV6. Grant it: "
                "Settings > Devices & services > Smartcar > Reconfigure, grant access again with "
                "it ticked. Ask the owner."
            ),
        ),
        (
            {"status": 409, "json": error_body("VEHICLE_STATE", "REMOTE_ACCESS_DISABLED", 409)},
            HomeAssistantError,
            "vehicle_state",
            "Kia EV6 cannot do this now (Smartcar says REMOTE_ACCESS_DISABLED). ",
        ),
        (
            {"status": 404, "json": error_body("RESOURCE_NOT_FOUND", "VEHICLE_NOT_FOUND", 404)},
            HomeAssistantError,
            "vehicle_unknown",
            (
                "Smartcar does not know Kia EV6 for this account any more: grant access again "
                "(Settings > Devices & services > Smartcar > Reconfigure). "
            ),
        ),
        (
            {"exc": TimeoutError()},
            HomeAssistantError,
            "smartcar_timeout",
            (
                "Smartcar did not answer in time about Kia EV6. A command may still be carried "
                "out: the car's next delivery, or a refresh, shows"
            ),
        ),
        (
            {"exc": ClientConnectionError("reset")},
            HomeAssistantError,
            "smartcar_unreachable",
            (
                "Smartcar cannot be reached for Kia EV6. Check Home Assistant's internet "
                "connection and try again"
            ),
        ),
        (
            {"status": 500, "json": error_body("SERVER", "INTERNAL", 500, "Try later.")},
            HomeAssistantError,
            "smartcar_error",
            (
                "Smartcar could not do this for Kia EV6 (SERVER:INTERNAL 500: SERVER (invented)). "
                "Try later."
            ),
        ),
    ],
    ids=["permission", "vehicle_state", "not_found", "timeout", "unreachable", "server"],
)
async def test_every_failure_is_explained_and_sent_once(
    hass: HomeAssistant,
    car: FakeCar,
    deliver: Any,
    controls: MockConfigEntry,
    answer: dict[str, Any],
    kind: type[HomeAssistantError],
    key: str,
    message: str,
) -> None:
    """Translated, with Smartcar's suggested message; never tried a second time."""
    await deliver(car.delivery())
    car.fail(COMMAND, **answer)
    with pytest.raises(HomeAssistantError) as refused:
        await unlock(hass)
    assert type(refused.value) is kind
    assert refused.value.translation_key == key
    assert str(refused.value) == message
    assert len(car.commands) == 1
    assert hass.states.get(LOCK).state == "locked"
    (record,) = controls.runtime_data.control.log
    assert (record.kind, record.result) == ("unlock", "failed")


async def test_a_rate_limit_is_waited_out_without_calls(
    hass: HomeAssistant, car: FakeCar, deliver: Any, now: FrozenDateTimeFactory
) -> None:
    """429 with retry-after 30: said so; nothing is sent for the vehicle for 30 s."""
    await deliver(car.delivery())
    car.fail(
        COMMAND,
        429,
        json=error_body("RATE_LIMIT", "VEHICLE", 429),
        headers={"retry-after": "30"},
    )
    with pytest.raises(HomeAssistantError) as refused:
        await unlock(hass)
    assert str(refused.value) == "Smartcar asks to slow down for Kia EV6: try again in 30 s. "
    now.tick(timedelta(seconds=20))
    with pytest.raises(HomeAssistantError, match="try again in 10 s"):
        await refresh(hass, entity_id=LOCK)
    assert (len(car.commands), car.reads) == (1, [])
    now.tick(timedelta(seconds=10))
    await unlock(hass)
    assert len(car.commands) == 2


async def test_refused_credentials_ask_for_new_ones(
    hass: HomeAssistant, car: FakeCar, deliver: Any, controls: MockConfigEntry
) -> None:
    """Smartcar refuses the token, and a fresh one: the entry asks for its credentials."""
    await deliver(car.delivery())
    for _ in range(2):  # the first refusal gets a fresh token, sent before anything was done
        car.fail(COMMAND, 401, json=error_body("AUTHENTICATION", None, 401))
    with pytest.raises(HomeAssistantError) as refused:
        await unlock(hass)
    assert refused.value.translation_key == "credentials_refused"
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


async def test_a_read_refused_for_a_permission_says_to_grant_access(
    hass: HomeAssistant, car: FakeCar, controls: MockConfigEntry
) -> None:
    """A read needs no one permission: the message asks to grant access again."""
    car.fail(READ, 403, json=error_body("PERMISSION", None, 403))
    with pytest.raises(ServiceValidationError) as refused:
        await refresh(hass, entity_id="button.kia_ev6_refresh")
    assert refused.value.translation_key == "permission_refused"


# --- The monthly call count -------------------------------------------------------------


async def _set_up(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    assert await async_setup_component(hass, "homeassistant", {})
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def test_calls_are_refused_before_the_plan_limit(
    hass: HomeAssistant, car: FakeCar, control_entry: MockConfigEntry, hass_storage: dict
) -> None:
    """500 calls used this month: refused here, before Smartcar's 430, with the date."""
    hass_storage[CALLS_KEY] = {
        "version": 1,
        "key": CALLS_KEY,
        "data": {"month": MONTH, "calls": {EV_ID: 500}},
    }
    await _set_up(hass, control_entry)
    with pytest.raises(HomeAssistantError) as refused:
        await refresh(hass, entity_id="button.kia_ev6_refresh")
    assert str(refused.value) == (
        "500 of the 500 Smartcar API calls this month are used for Kia EV6: Home Assistant "
        "sends no more until 2027-01-01 00:00 UTC, when the count starts again. Deliveries "
        "keep arriving"
    )
    assert car.reads == []


async def test_smartcar_plan_limit_ends_the_month_here_too(
    hass: HomeAssistant, car: FakeCar, deliver: Any
) -> None:
    """Smartcar's 430: said so; no more calls about the vehicle this month."""
    await deliver(car.delivery())
    car.fail(COMMAND, 430, json=error_body("BILLING", "VEHICLE_REQUEST_LIMIT", 430, "Upgrade."))
    with pytest.raises(HomeAssistantError) as refused:
        await unlock(hass)
    assert refused.value.translation_key == "plan_limit"
    assert str(refused.value).endswith("Deliveries keep arriving. Upgrade.")
    with pytest.raises(HomeAssistantError) as refused:
        await unlock(hass)
    assert refused.value.translation_key == "call_limit_reached"
    assert len(car.commands) == 1


async def test_the_call_count_survives_a_restart(
    hass: HomeAssistant,
    car: FakeCar,
    deliver: Any,
    controls: MockConfigEntry,
    hass_storage: dict,
    hass_client: Any,
) -> None:
    """A command and a refresh are two calls, kept across a restart; deliveries are none."""
    assert await async_setup_component(hass, "diagnostics", {})
    await deliver(car.delivery())
    await unlock(hass)
    await refresh(hass, entity_id=LOCK)
    assert await hass.config_entries.async_unload(controls.entry_id)
    assert hass_storage[CALLS_KEY]["data"] == {"month": MONTH, "calls": {EV_ID: 2}}
    assert await hass.config_entries.async_setup(controls.entry_id)
    await hass.async_block_till_done()
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, controls)
    assert diagnostics["api_calls"] == {
        EV_ID: {"used": 2, "limit": 500, "left": 498, "month_ends_at": "2027-01-01T00:00:00+00:00"}
    }


async def test_the_api_calls_sensor_counts_each_call_of_the_month(
    hass: HomeAssistant,
    car: FakeCar,
    deliver: Any,
    controls: MockConfigEntry,
    now: FrozenDateTimeFactory,
    entity_registry: er.EntityRegistry,
) -> None:
    """A diagnostic total per vehicle: up with each call, kept across a restart, reset monthly."""
    await deliver(car.delivery())
    assert hass.states.get(API_CALLS).state == "0"
    await unlock(hass)
    state = hass.states.get(API_CALLS)
    assert (state.state, state.attributes["state_class"], state.attributes["last_reset"]) == (
        "1",
        "total",
        "2026-12-01T00:00:00+00:00",
    )
    assert entity_registry.async_get(API_CALLS).entity_category is EntityCategory.DIAGNOSTIC
    await refresh(hass, entity_id=LOCK)
    assert hass.states.get(API_CALLS).state == "2"
    assert await hass.config_entries.async_reload(controls.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(API_CALLS).state == "2"
    now.move_to("2026-12-31T23:59:00+00:00")
    await deliver(car.delivery())  # reporting, so nothing else about the vehicle changes
    now.move_to("2027-01-01T00:00:00+00:00")
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    state = hass.states.get(API_CALLS)
    assert (state.state, state.attributes["last_reset"]) == ("0", "2027-01-01T00:00:00+00:00")


# --- Diagnostics ------------------------------------------------------------------------


async def test_diagnostics_show_the_last_commands_and_reads(
    hass: HomeAssistant, car: FakeCar, deliver: Any, controls: MockConfigEntry, hass_client: Any
) -> None:
    """The last 20, oldest first, with Smartcar's request id; no user id; per device too."""
    assert await async_setup_component(hass, "diagnostics", {})
    await deliver(car.delivery())
    await unlock(hass)
    for _ in range(RECENT_CONTROLS):
        await refresh(hass, entity_id=LOCK)
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, controls)
    controls_log = diagnostics["controls"]
    assert len(controls_log) == RECENT_CONTROLS
    assert controls_log[-1] == {
        "at": "2026-12-15T12:00:00+00:00",
        "vehicle_id": EV_ID,
        "kind": "refresh",
        "result": "applied",
        "request_id": None,
        "error": None,
    }
    assert USER_ID not in str(diagnostics)
    device = await get_diagnostics_for_device(
        hass, hass_client, controls, vehicle_device(hass, EV_ID)
    )
    assert device["controls"] == controls_log
    assert set(device["api_calls"]) == {EV_ID}


async def test_a_command_is_logged_with_smartcars_request_id(
    hass: HomeAssistant, car: FakeCar, deliver: Any, controls: MockConfigEntry
) -> None:
    await deliver(car.delivery())
    await unlock(hass)
    record = controls.runtime_data.control.log[0]
    assert (record.kind, record.result, record.request_id) == ("unlock", "done", REQUEST_ID)


# --- Connect offers the control permissions, not ticked ---------------------------------


async def test_connect_offers_the_control_permissions(hass: HomeAssistant, car: FakeCar) -> None:
    """Lock and charging control can be chosen; they are not ticked by default."""
    await hass.config.async_update(external_url="https://car.example.org")
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "connect"}
    )
    (field,) = [key for key in result["data_schema"].schema if key == CONF_SCOPES]
    options = result["data_schema"].schema[field].config["options"]
    assert options[-2:] == list(CONTROL_SCOPES)
    assert set(field.default()) == set(DEFAULT_SCOPES)
    assert not set(CONTROL_SCOPES) & set(DEFAULT_SCOPES)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_SCOPES: [*DEFAULT_SCOPES, "control_security"]}
    )
    assert result["step_id"] == "credentials"


async def test_removing_the_entry_deletes_its_call_count(
    hass: HomeAssistant, car: FakeCar, deliver: Any, controls: MockConfigEntry, hass_storage: dict
) -> None:
    await deliver(car.delivery())
    await unlock(hass)
    assert await hass.config_entries.async_unload(controls.entry_id)
    assert CALLS_KEY in hass_storage
    await hass.config_entries.async_remove(controls.entry_id)
    await hass.async_block_till_done()
    assert CALLS_KEY not in hass_storage
