"""The switches of a Smartcar Connect entry: charging and the charge port."""

from __future__ import annotations

from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er

from custom_components.smartcar.api import DEFAULT_SCOPES

from .smartcar_car import FakeCar

CHARGING = "switch.kia_ev6_charging"
CHARGE_PORT = "switch.kia_ev6_charge_port"


async def switch(hass: HomeAssistant, service: str, entity_id: str) -> None:
    """``switch.turn_on``/``turn_off`` as a user's tap or an automation calls it."""
    await hass.services.async_call("switch", service, {"entity_id": entity_id}, blocking=True)


async def test_charging_starts_and_stops(
    hass: HomeAssistant, car: FakeCar, deliver: Any, controls: MockConfigEntry
) -> None:
    """On: start charging; shown on (pending) until the car's delivery says it charges."""
    await deliver(car.delivery())
    assert hass.states.get(CHARGING).state == "off"
    assert hass.states.get("binary_sensor.kia_ev6_charging") is None  # the switch stands for it
    await switch(hass, "turn_on", CHARGING)
    assert car.commands == [("charge/start", None)]
    state = hass.states.get(CHARGING)
    assert (state.state, state.attributes["pending"]) == ("on", True)
    await deliver(car.delivery("charge-ischarging"))
    state = hass.states.get(CHARGING)
    assert (state.state, state.attributes["pending"]) == ("on", False)
    await switch(hass, "turn_off", CHARGING)
    assert car.commands[-1] == ("charge/stop", None)
    assert hass.states.get(CHARGING).state == "off"


async def test_charge_port_the_car_cannot_open(
    hass: HomeAssistant, car: FakeCar, deliver: Any, entity_registry: er.EntityRegistry
) -> None:
    """The simulated car has no motorised flap: Smartcar's 501, translated; still closed."""
    await deliver(car.delivery())
    assert hass.states.get(CHARGE_PORT).state == "off"
    # It stands for the "Charge port" binary sensor, whose key is charge_port_open.
    assert entity_registry.async_get("binary_sensor.kia_ev6_charge_port_open").disabled_by
    with pytest.raises(HomeAssistantError) as refused:
        await switch(hass, "turn_on", CHARGE_PORT)
    assert car.commands == [("charge-port/open", None)]
    assert refused.value.translation_key == "not_capable"
    assert str(refused.value).startswith("Kia EV6 or its maker does not offer this")
    assert hass.states.get(CHARGE_PORT).state == "off"


@pytest.mark.parametrize("control_scopes", [[*DEFAULT_SCOPES, "control_security"]])
async def test_no_switches_without_control_charge(
    hass: HomeAssistant, car: FakeCar, deliver: Any
) -> None:
    """Not asked for control_charge: the charging sensors, no switch or charge limit."""
    await deliver(car.delivery())
    assert hass.states.get(CHARGING) is None
    assert hass.states.get(CHARGE_PORT) is None
    assert hass.states.get("number.kia_ev6_charge_limit") is None
    assert hass.states.get("binary_sensor.kia_ev6_charging").state == "off"
    assert hass.states.get("sensor.kia_ev6_charge_limit").state == "80"
    assert hass.states.get("lock.kia_ev6_lock").state == "locked"
