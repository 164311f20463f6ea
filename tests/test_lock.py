"""The lock of a Smartcar Connect entry: its state, its commands, pending until confirmed.

Through Home Assistant: deliveries are signed bytes to the webhook, commands are
``lock.lock``/``lock.unlock`` calls, and the fake Smartcar's car (tests/smartcar_car.py)
answers them as the simulator's car does.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from homeassistant.components.lock import LockState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import area_registry as ar
from homeassistant.helpers import entity_registry as er

from custom_components.smartcar.api import CONTROL_SCOPES, DEFAULT_SCOPES
from custom_components.smartcar.const import CONF_SCOPES, DOMAIN
from custom_components.smartcar.control import CONFIRM_READ_AFTER, PENDING_AT_MOST

from .conftest import Post, make_state
from .smartcar_car import COMMAND, REQUEST_ID, FakeCar

LOCK = "lock.kia_ev6_lock"
LOCK_SENSOR = "binary_sensor.kia_ev6_lock"
IS_LOCKED = "closure-islocked"
WITHOUT_SECURITY = [*DEFAULT_SCOPES, "control_charge"]


async def lock_service(hass: HomeAssistant, service: str, entity_id: str = LOCK) -> None:
    """``lock.<service>`` as a user's tap or an automation calls it."""
    await hass.services.async_call("lock", service, {"entity_id": entity_id}, blocking=True)


async def later(hass: HomeAssistant, freezer: FrozenDateTimeFactory, delay: timedelta) -> None:
    """Let ``delay`` pass."""
    freezer.tick(delay)
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


def control_log(entry: MockConfigEntry) -> list[tuple[str, str]]:
    """What the entry's controls did (as diagnostics show it): kind and result."""
    return [(record.kind, record.result) for record in entry.runtime_data.control.log]


async def test_lock_follows_the_car_and_stands_for_the_lock_sensor(
    hass: HomeAssistant, car: FakeCar, deliver: Any, entity_registry: er.EntityRegistry
) -> None:
    """One Lock: the lock entity; the lock binary sensor is made disabled, never shown."""
    await deliver(car.delivery())
    assert hass.states.get(LOCK).state == LockState.LOCKED
    assert hass.states.get(LOCK).attributes["pending"] is False
    assert hass.states.get(LOCK_SENSOR) is None
    sensor = entity_registry.async_get(LOCK_SENSOR)
    assert sensor.disabled_by is er.RegistryEntryDisabler.INTEGRATION
    car.change(IS_LOCKED, {"value": False})
    await deliver(car.delivery(IS_LOCKED))
    assert hass.states.get(LOCK).state == LockState.UNLOCKED


async def test_unlock_is_pending_until_a_delivery_shows_it(
    hass: HomeAssistant,
    car: FakeCar,
    deliver: Any,
    controls: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Unlocking from the moment it is sent; unlocked once the car's delivery says so."""
    await deliver(car.delivery())
    car.answer_commands = asyncio.Event()
    task = hass.async_create_task(lock_service(hass, "unlock"))
    await asyncio.wait_for(car.commanded.wait(), 1)  # sent; Smartcar has not answered yet
    assert hass.states.get(LOCK).state == LockState.UNLOCKING
    car.answer_commands.set()
    await task
    assert car.commands == [("security/unlock", None)]
    assert hass.states.get(LOCK).state == LockState.UNLOCKING
    assert hass.states.get(LOCK).attributes["pending"] is True
    await deliver(car.delivery(IS_LOCKED))
    assert hass.states.get(LOCK).state == LockState.UNLOCKED
    assert hass.states.get(LOCK).attributes["pending"] is False
    await later(hass, freezer, PENDING_AT_MOST)
    assert car.reads == []  # confirmed by the delivery: nothing read
    assert control_log(controls) == [("unlock", "done"), ("unlock", "confirmed")]


async def test_a_pending_command_is_confirmed_by_one_read(
    hass: HomeAssistant,
    car: FakeCar,
    deliver: Any,
    controls: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Smartcar answers 202; no delivery follows; the one signal is read once, shortly after."""
    await deliver(car.delivery())
    car.pending = True
    await lock_service(hass, "unlock")
    assert hass.states.get(LOCK).state == LockState.UNLOCKING
    await later(hass, freezer, CONFIRM_READ_AFTER - timedelta(seconds=1))
    assert car.reads == []
    await later(hass, freezer, timedelta(seconds=1))
    assert car.reads == [IS_LOCKED]
    assert hass.states.get(LOCK).state == LockState.UNLOCKED
    await later(hass, freezer, PENDING_AT_MOST)
    assert car.reads == [IS_LOCKED]
    assert control_log(controls) == [
        ("unlock", "pending"),
        ("unlock", "confirmed"),
        ("confirming_read", "applied"),
    ]
    assert controls.runtime_data.control.log[0].request_id == REQUEST_ID


async def test_an_unconfirmed_command_shows_the_car_again(
    hass: HomeAssistant,
    car: FakeCar,
    deliver: Any,
    controls: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The car does not act: unlocking while it waits, then locked again; one read only."""
    await deliver(car.delivery())
    car.acts = False
    await lock_service(hass, "unlock")
    await later(hass, freezer, CONFIRM_READ_AFTER)
    assert car.reads == [IS_LOCKED]
    assert hass.states.get(LOCK).state == LockState.UNLOCKING
    await later(hass, freezer, PENDING_AT_MOST - CONFIRM_READ_AFTER)
    assert hass.states.get(LOCK).state == LockState.LOCKED
    assert car.reads == [IS_LOCKED]
    assert control_log(controls)[-1] == ("unlock", "not_confirmed")


async def test_a_newer_command_replaces_the_wait(
    hass: HomeAssistant, car: FakeCar, deliver: Any, freezer: FrozenDateTimeFactory
) -> None:
    """Unlock, then lock again at once: locked (as the car is), and nothing read."""
    await deliver(car.delivery())
    car.acts = False
    await lock_service(hass, "unlock")
    await lock_service(hass, "lock")
    assert hass.states.get(LOCK).state == LockState.LOCKED
    await later(hass, freezer, PENDING_AT_MOST)
    assert [path for path, _ in car.commands] == ["security/unlock", "security/lock"]
    assert car.reads == []


async def test_a_refused_command_says_why_and_shows_the_car(
    hass: HomeAssistant, car: FakeCar, deliver: Any, freezer: FrozenDateTimeFactory
) -> None:
    """An asleep car: Smartcar's own message, translated; the lock shows locked again."""
    await deliver(car.delivery())
    car.fail(
        COMMAND,
        409,
        json={
            "type": "VEHICLE_STATE",
            "code": "ASLEEP",
            "description": "The vehicle is asleep.",
            "statusCode": 409,
            "suggestedUserMessage": "Wake the car in its app.",
        },
    )
    with pytest.raises(HomeAssistantError) as refused:
        await lock_service(hass, "unlock")
    assert refused.value.translation_key == "vehicle_asleep"
    assert str(refused.value) == (
        "Kia EV6 is asleep or out of reach, so Smartcar could not do this. Try again once "
        "the car is awake and connected. Wake the car in its app."
    )
    assert hass.states.get(LOCK).state == LockState.LOCKED
    await later(hass, freezer, PENDING_AT_MOST)
    assert car.reads == []


@pytest.mark.parametrize("control_scopes", [WITHOUT_SECURITY])
async def test_no_lock_without_its_permission(
    hass: HomeAssistant, car: FakeCar, deliver: Any
) -> None:
    """Not asked for control_security: the lock sensor, and no lock."""
    await deliver(car.delivery())
    assert hass.states.get(LOCK) is None
    assert hass.states.get(LOCK_SENSOR).state == "off"  # locked
    assert hass.states.get("switch.kia_ev6_charging").state == "off"


async def test_webhook_only_entries_do_not_act(
    hass: HomeAssistant, post: Post, entity_registry: er.EntityRegistry
) -> None:
    """No API, no control: the lock sensor, and no lock, button, switch or number."""
    await post(make_state({IS_LOCKED: {"value": True}, "charge-ischarging": {"value": False}}))
    assert hass.states.get(LOCK_SENSOR).state == "off"
    assert {item.domain for item in entity_registry.entities.values()} == {
        "binary_sensor",
        "event",
        "sensor",
    }


async def _reconfigure(hass: HomeAssistant, entry: MockConfigEntry, scopes: list[str]) -> None:
    """Access granted again with other permissions: the entry reloads with them."""
    hass.config_entries.async_update_entry(entry, data={**entry.data, CONF_SCOPES: scopes})
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()


@pytest.mark.parametrize("control_scopes", [WITHOUT_SECURITY])
async def test_the_lock_takes_over_the_lock_sensor(
    hass: HomeAssistant,
    car: FakeCar,
    deliver: Any,
    controls: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    area_registry: ar.AreaRegistry,
) -> None:
    """Granted later: the lock gets the sensor's entity id, name and area; once only."""
    await deliver(car.delivery())
    garage = area_registry.async_create("Garage")
    entity_registry.async_update_entity(
        LOCK_SENSOR,
        new_entity_id="binary_sensor.front_doors",
        name="Front doors",
        area_id=garage.id,
    )
    await _reconfigure(hass, controls, [*DEFAULT_SCOPES, *CONTROL_SCOPES])
    lock = entity_registry.async_get("lock.front_doors")
    assert (lock.name, lock.area_id) == ("Front doors", garage.id)
    assert hass.states.get("lock.front_doors").state == LockState.LOCKED
    assert hass.states.get("binary_sensor.front_doors") is None
    sensor = entity_registry.async_get("binary_sensor.front_doors")
    assert sensor.disabled_by is er.RegistryEntryDisabler.INTEGRATION
    assert sensor.options[DOMAIN] == {"replaced_by": "lock"}
    # The user wants the sensor too: it stays.
    entity_registry.async_update_entity(sensor.entity_id, disabled_by=None)
    assert await hass.config_entries.async_reload(controls.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get("binary_sensor.front_doors").state == "off"
    assert hass.states.get("lock.front_doors").state == LockState.LOCKED


async def test_the_lock_sensor_comes_back_without_the_permission(
    hass: HomeAssistant,
    car: FakeCar,
    deliver: Any,
    controls: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """control_security no longer asked for: the sensor is back, as the user named the lock."""
    await deliver(car.delivery())
    entity_registry.async_update_entity(LOCK, new_entity_id="lock.garage", name="Garage car")
    await _reconfigure(hass, controls, WITHOUT_SECURITY)
    await later(hass, freezer, timedelta(seconds=31))  # Home Assistant reloads it once more
    assert entity_registry.async_get_entity_id("lock", DOMAIN, f"{car.vehicle_id}_lock") is None
    assert hass.states.get("lock.garage") is None
    sensor = entity_registry.async_get("binary_sensor.garage")
    assert (sensor.name, sensor.disabled_by, sensor.options.get(DOMAIN)) == (
        "Garage car",
        None,
        None,
    )
    assert hass.states.get("binary_sensor.garage").state == "off"
    # The charging switch still stands for its sensor.
    assert hass.states.get("switch.kia_ev6_charging").state == "off"
    assert hass.states.get("binary_sensor.kia_ev6_charging") is None
