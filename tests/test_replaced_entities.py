"""One entity per thing the user sees: a control stands in for its signal's read-only entity.

The lock for the lock binary sensor, the charging switch for the charging binary sensor,
the charge-limit number for its sensor, the charge-port switch for "Charge port": once,
when the permission is first granted, with the user's entity id, name and area carried
over; and back when the permission goes.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from homeassistant.core import HomeAssistant
from homeassistant.helpers import area_registry as ar
from homeassistant.helpers import entity_registry as er

from custom_components.smartcar.api import CONTROL_SCOPES, DEFAULT_SCOPES
from custom_components.smartcar.const import CONF_SCOPES, DOMAIN

from .conftest import EV_ID
from .smartcar_car import FakeCar

LOCK = "lock.kia_ev6_lock"
LOCK_SENSOR = "binary_sensor.kia_ev6_lock"
WITHOUT_SECURITY = [*DEFAULT_SCOPES, "control_charge"]
EVERY_SCOPE = [*DEFAULT_SCOPES, *CONTROL_SCOPES]
LOCK_ID = f"{EV_ID}_lock"


async def _reconfigure(hass: HomeAssistant, entry: MockConfigEntry, scopes: list[str]) -> None:
    """Access granted again with other permissions: the entry reloads with them."""
    hass.config_entries.async_update_entry(entry, data={**entry.data, CONF_SCOPES: scopes})
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()


async def _reload_for_the_enabled_entity(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Home Assistant reloads an entry 30 s after one of its entities was enabled."""
    freezer.tick(timedelta(seconds=31))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


def _enabled_as(entity_registry: er.EntityRegistry, entity_id: str) -> str | None:
    """The name the user gave an entity that is enabled and no longer marked replaced."""
    item = entity_registry.async_get(entity_id)
    assert item is not None
    assert (item.disabled_by, item.options.get(DOMAIN)) == (None, None)
    return item.name


@pytest.mark.parametrize("control_scopes", [WITHOUT_SECURITY])
async def test_the_lock_takes_over_the_lock_sensor(
    hass: HomeAssistant,
    car: FakeCar,
    deliver: Any,
    controls: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    area_registry: ar.AreaRegistry,
    freezer: FrozenDateTimeFactory,
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
    await _reconfigure(hass, controls, EVERY_SCOPE)
    lock = entity_registry.async_get("lock.front_doors")
    assert (lock.name, lock.area_id) == ("Front doors", garage.id)
    assert hass.states.get("lock.front_doors").state == "locked"
    assert hass.states.get("binary_sensor.front_doors") is None
    sensor = entity_registry.async_get("binary_sensor.front_doors")
    assert sensor.disabled_by is er.RegistryEntryDisabler.INTEGRATION
    assert sensor.options[DOMAIN] == {"replaced_by": "lock"}
    # The user wants the sensor too: it stays, also once the permission goes.
    entity_registry.async_update_entity(sensor.entity_id, disabled_by=None)
    await _reload_for_the_enabled_entity(hass, freezer)
    assert hass.states.get("binary_sensor.front_doors").state == "off"
    assert hass.states.get("lock.front_doors").state == "locked"
    await _reconfigure(hass, controls, WITHOUT_SECURITY)
    assert entity_registry.async_get_entity_id("lock", DOMAIN, LOCK_ID) is None
    assert _enabled_as(entity_registry, "binary_sensor.front_doors") == "Front doors"


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
    await _reload_for_the_enabled_entity(hass, freezer)
    assert entity_registry.async_get_entity_id("lock", DOMAIN, LOCK_ID) is None
    assert hass.states.get("lock.garage") is None
    assert _enabled_as(entity_registry, "binary_sensor.garage") == "Garage car"
    assert hass.states.get("binary_sensor.garage").state == "off"
    # The charging switch still stands for its sensor.
    assert hass.states.get("switch.kia_ev6_charging").state == "off"
    assert hass.states.get("binary_sensor.kia_ev6_charging") is None


async def test_back_as_it_was_when_the_lock_kept_its_name(
    hass: HomeAssistant,
    car: FakeCar,
    deliver: Any,
    controls: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The sensor's own entity id, which the lock's default matches."""
    await deliver(car.delivery())
    await _reconfigure(hass, controls, WITHOUT_SECURITY)
    await _reload_for_the_enabled_entity(hass, freezer)
    assert hass.states.get(LOCK_SENSOR).state == "off"
    assert entity_registry.async_get_entity_id("lock", DOMAIN, LOCK_ID) is None


async def test_back_when_the_user_deleted_the_lock(
    hass: HomeAssistant,
    car: FakeCar,
    deliver: Any,
    controls: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """No lock entry to take settings from: the sensor is enabled as it is."""
    await deliver(car.delivery())
    assert await hass.config_entries.async_unload(controls.entry_id)
    entity_registry.async_remove(LOCK)
    hass.config_entries.async_update_entry(
        controls, data={**controls.data, CONF_SCOPES: WITHOUT_SECURITY}
    )
    assert await hass.config_entries.async_setup(controls.entry_id)
    await _reload_for_the_enabled_entity(hass, freezer)
    assert hass.states.get(LOCK_SENSOR).state == "off"


@pytest.mark.parametrize("control_scopes", [WITHOUT_SECURITY])
async def test_a_lock_entry_that_exists_keeps_its_entity_id(
    hass: HomeAssistant,
    car: FakeCar,
    deliver: Any,
    controls: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    """A lock entry from before (wbyoung/smartcar's, moved to ours) is the lock's."""
    await deliver(car.delivery())
    entity_registry.async_get_or_create(
        "lock", DOMAIN, LOCK_ID, config_entry=controls, suggested_object_id="ev6_door_lock"
    )
    await _reconfigure(hass, controls, EVERY_SCOPE)
    assert hass.states.get("lock.ev6_door_lock").state == "locked"
    assert entity_registry.async_get(LOCK_SENSOR).disabled_by is not None


async def test_a_sensor_known_from_an_earlier_start_is_replaced(
    hass: HomeAssistant,
    car: FakeCar,
    deliver: Any,
    controls: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    """Its registry entry is there, it is not shown yet: disabled before it is added."""
    entity_registry.async_get_or_create(
        "binary_sensor", DOMAIN, LOCK_ID, config_entry=controls, suggested_object_id="car_lock"
    )
    await deliver(car.delivery())
    assert hass.states.get("binary_sensor.car_lock") is None
    assert hass.states.get("lock.car_lock").state == "locked"
