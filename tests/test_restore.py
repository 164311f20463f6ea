"""Values survive restarts: a graceful reload and a hard kill (storage only)."""

from __future__ import annotations

import copy
from datetime import timedelta
import json
from pathlib import Path
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component

from custom_components.smartcar.const import DOMAIN, SAVE_DELAY_SECONDS

from .conftest import Post, fixture_bytes, make_state

SOC = "tractionbattery-stateofcharge"
TRACKER = "device_tracker.kia_ev6_location"
FIRST_RELEASE_FILE = Path(__file__).parent / "fixtures" / "storage" / "smartcar_v0.2.0.json"


def _storage_key(entry: MockConfigEntry) -> str:
    return f"{DOMAIN}.{entry.entry_id}"


def _shown(hass: HomeAssistant) -> dict[str, Any]:
    return {
        state.entity_id: (state.state, dict(state.attributes))
        for state in hass.states.async_all()
        if state.entity_id.split(".")[1].startswith("kia_ev6")
    }


async def test_values_are_saved_within_the_delay(
    hass: HomeAssistant,
    post: Post,
    integration: MockConfigEntry,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
) -> None:
    """Values reach storage at most about 10 s after they arrive, not on the request path."""
    await post(fixture_bytes("vehicle_state_ev_signal_update.json"))
    assert _storage_key(integration) not in hass_storage  # no disk write before answering
    freezer.tick(timedelta(seconds=SAVE_DELAY_SECONDS + 1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    stored = hass_storage[_storage_key(integration)]["data"]
    vehicle = stored["vehicles"]["9d2c4e6a-1b3f-4c5d-8e7f-6a5b4c3d2e1f"]
    assert vehicle["signals"][SOC]["body"] == {"value": 63, "unit": "percent"}


async def test_reload_shows_every_value_before_any_delivery(
    hass: HomeAssistant, post: Post, integration: MockConfigEntry
) -> None:
    """After a restart every entity, the tracker included, shows its last value at once."""
    await post(fixture_bytes("vehicle_state_ev_signal_update.json"))
    before = _shown(hass)
    assert before[TRACKER][0] == "not_home"
    assert before[TRACKER][1]["latitude"] == 52.370216

    assert await hass.config_entries.async_unload(integration.entry_id)
    await hass.async_block_till_done()
    assert all(state == "unavailable" for state, _ in _shown(hass).values())

    assert await hass.config_entries.async_setup(integration.entry_id)
    await hass.async_block_till_done()
    after = _shown(hass)
    # Only the vehicle's "last update" and "reporting" are not tied to a stored signal;
    # they come back too, from the stored delivery time.
    assert after == before


async def test_hard_kill_restores_from_storage_only(
    hass: HomeAssistant,
    post: Post,
    integration: MockConfigEntry,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
) -> None:
    """A hard kill loses at most the last seconds: what storage held comes back."""
    await post(make_state({SOC: {"value": 50, "unit": "percent"}}, event_id="1"))
    freezer.tick(timedelta(seconds=SAVE_DELAY_SECONDS + 1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    await post(
        make_state(
            {SOC: {"value": 51, "unit": "percent"}}, event_id="2", oem_updated_at=1_766_996_000_000
        )
    )
    # Killed now: the storage file is all that is left (no restore state, no flush).
    on_disk = copy.deepcopy(hass_storage[_storage_key(integration)])

    await hass.config_entries.async_unload(integration.entry_id)
    await hass.async_block_till_done()
    hass.states.async_remove("sensor.kia_ev6_battery")
    hass_storage[_storage_key(integration)] = on_disk
    assert await hass.config_entries.async_setup(integration.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get("sensor.kia_ev6_battery").state == "50"


async def test_restored_values_still_guard_ordering(
    hass: HomeAssistant, post: Post, integration: MockConfigEntry
) -> None:
    """After a restart an older delivery still cannot replace the stored, newer value."""
    await post(
        make_state(
            {SOC: {"value": 70, "unit": "percent"}},
            event_id="new",
            oem_updated_at=1_766_999_000_000,
        )
    )
    assert await hass.config_entries.async_reload(integration.entry_id)
    await hass.async_block_till_done()
    await post(
        make_state(
            {SOC: {"value": 60, "unit": "percent"}},
            event_id="old",
            oem_updated_at=1_766_990_000_000,
        )
    )
    assert hass.states.get("sensor.kia_ev6_battery").state == "70"


async def test_removing_the_entry_deletes_its_storage(
    hass: HomeAssistant, post: Post, integration: MockConfigEntry, hass_storage: dict[str, Any]
) -> None:
    """Removing the integration leaves no stored vehicle data behind."""
    await post(fixture_bytes("vehicle_state_ev_signal_update.json"))
    await hass.config_entries.async_unload(integration.entry_id)
    assert _storage_key(integration) in hass_storage
    await hass.config_entries.async_remove(integration.entry_id)
    await hass.async_block_till_done()
    assert _storage_key(integration) not in hass_storage


async def test_steady_deliveries_do_not_postpone_saving(
    hass: HomeAssistant,
    post: Post,
    integration: MockConfigEntry,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
) -> None:
    """A delivery every 2 s still reaches storage within the save delay of the first one."""
    for second in range(0, 14, 2):
        await post(
            make_state(
                {SOC: {"value": 40 + second, "unit": "percent"}},
                event_id=f"e{second}",
                oem_updated_at=1_766_990_000_000 + second * 1000,
            )
        )
        freezer.tick(timedelta(seconds=2))
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
    stored = hass_storage[_storage_key(integration)]["data"]["vehicles"]
    assert stored["9d2c4e6a-1b3f-4c5d-8e7f-6a5b4c3d2e1f"]["signals"][SOC]["body"]["value"] >= 48


async def test_smartcars_retry_after_a_restart_is_a_duplicate(
    hass: HomeAssistant, post: Post, integration: MockConfigEntry
) -> None:
    """An event applied, Home Assistant restarted, Smartcar retries it: nothing runs twice.

    Smartcar retries an event it did not see acknowledged for about 3 minutes with the same
    eventId; the newest event ids are stored with the values.
    """
    body = fixture_bytes("vehicle_state_ev_signal_update.json")
    assert await (await post(body)).json() == {"result": "applied"}
    events: list[Any] = []
    hass.bus.async_listen("smartcar_delivery", events.append)
    assert await hass.config_entries.async_reload(integration.entry_id)
    await hass.async_block_till_done()
    assert await (await post(body)).json() == {"result": "duplicate"}
    assert events == []  # no bus event, so no automation ran again


async def test_values_stored_by_the_first_release_are_shown_and_kept(
    hass: HomeAssistant, config_entry: MockConfigEntry, hass_storage: dict[str, Any]
) -> None:
    """An update keeps what the first release stored: shown at once, and written back alike."""
    stored = json.loads(FIRST_RELEASE_FILE.read_bytes())
    hass_storage[_storage_key(config_entry)] = {**stored, "key": _storage_key(config_entry)}
    assert await async_setup_component(hass, "homeassistant", {})
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()

    assert hass.states.get("sensor.kia_ev6_odometer").state == "18452.6"
    # The stored AUTHENTICATION_FAILED error still names the state of charge.
    assert hass.states.get("sensor.kia_ev6_battery").state == "unavailable"
    assert hass.states.get("sensor.kia_ev6_vehicle_error").state == "authentication_failed"
    assert hass.states.get("sensor.toyota_rav4_odometer").state not in ("unknown", "unavailable")

    assert await hass.config_entries.async_unload(config_entry.entry_id)
    await hass.async_block_till_done()
    assert hass_storage[_storage_key(config_entry)]["data"] == stored["data"]
