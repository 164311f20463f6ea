"""The charge limit of a Smartcar Connect entry: a number from 50 to 100 %, step 1."""

from __future__ import annotations

from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError

from .smartcar_car import FakeCar

CHARGE_LIMIT = "number.kia_ev6_charge_limit"
LIMITS = "charge-chargelimits"


async def set_limit(hass: HomeAssistant, value: float) -> None:
    """``number.set_value`` as the slider or an automation calls it."""
    await hass.services.async_call(
        "number", "set_value", {"entity_id": CHARGE_LIMIT, "value": value}, blocking=True
    )


async def test_charge_limit_is_set_and_confirmed(
    hass: HomeAssistant, car: FakeCar, deliver: Any, controls: MockConfigEntry
) -> None:
    """Set to 90: Smartcar's set-limit with the percentage; 90 (pending) until delivered."""
    await deliver(car.delivery())
    state = hass.states.get(CHARGE_LIMIT)
    assert state.state == "80"
    assert (
        state.attributes.items()
        >= {
            "min": 50,
            "max": 100,
            "step": 1,
            "unit_of_measurement": "%",
            "pending": False,
        }.items()
    )
    assert hass.states.get("sensor.kia_ev6_charge_limit") is None  # the number stands for it
    await set_limit(hass, 90)
    assert car.commands == [("charge/set-limit", {"data": {"attributes": {"percent": 90}}})]
    state = hass.states.get(CHARGE_LIMIT)
    assert (state.state, state.attributes["pending"]) == ("90", True)
    await deliver(car.delivery(LIMITS))
    state = hass.states.get(CHARGE_LIMIT)
    assert (state.state, state.attributes["pending"]) == ("90", False)


@pytest.mark.parametrize("value", [49, 101])
async def test_limits_outside_the_range_are_not_sent(
    hass: HomeAssistant, car: FakeCar, deliver: Any, value: int
) -> None:
    """Home Assistant refuses a value outside 50-100 before the integration sees it."""
    await deliver(car.delivery())
    with pytest.raises(ServiceValidationError):
        await set_limit(hass, value)
    assert car.commands == []


async def test_a_fraction_is_not_sent(hass: HomeAssistant, car: FakeCar, deliver: Any) -> None:
    """Smartcar takes whole percentages: 80.5 is refused, translated, with nothing sent."""
    await deliver(car.delivery())
    with pytest.raises(ServiceValidationError) as refused:
        await set_limit(hass, 80.5)
    assert str(refused.value) == "Smartcar takes a whole number here, not 80.5"
    assert car.commands == []


async def test_unknown_while_the_car_reports_no_active_limit(
    hass: HomeAssistant, car: FakeCar, deliver: Any
) -> None:
    """``activeLimit`` becomes null while unplugged: the number is unknown, not 0.

    (A first null limit adds no number at all: the fleet holds no first empty body.)
    """
    await deliver(car.delivery())
    assert hass.states.get(CHARGE_LIMIT).state == "80"
    car.change(LIMITS, {"values": [], "activeLimit": None, "unit": "percent"})
    await deliver(car.delivery())
    assert hass.states.get(CHARGE_LIMIT).state == "unknown"


async def test_a_limit_sent_as_a_fraction_shows_as_percent(
    hass: HomeAssistant, car: FakeCar, deliver: Any
) -> None:
    """Some cars send 0.9 for 90 %: the number shows 90, as the sensors would."""
    car.change(LIMITS, {"values": [], "activeLimit": 0.9, "unit": "percent"})
    await deliver(car.delivery())
    assert hass.states.get(CHARGE_LIMIT).state == "90"


async def _limit_reported(
    hass: HomeAssistant, car: FakeCar, deliver: Any, limit: float
) -> tuple[str, bool]:
    """The car reports ``limit``: what the number shows, and whether it is pending."""
    car.change(LIMITS, {"values": [], "activeLimit": limit, "unit": "percent"})
    await deliver(car.delivery(LIMITS))
    state = hass.states.get(CHARGE_LIMIT)
    return state.state, state.attributes["pending"]


async def _commanded_90(hass: HomeAssistant, car: FakeCar, deliver: Any) -> None:
    """90 is commanded; the car does not report it by itself."""
    await deliver(car.delivery())
    car.acts = False
    await set_limit(hass, 90)


async def test_a_limit_sent_as_a_fraction_confirms_the_command(
    hass: HomeAssistant, car: FakeCar, deliver: Any
) -> None:
    """90 is commanded; the car then reports 0.9: the command is confirmed, not pending."""
    await _commanded_90(hass, car, deliver)
    assert await _limit_reported(hass, car, deliver, 0.9) == ("90", False)


async def test_another_value_keeps_the_command_pending(
    hass: HomeAssistant, car: FakeCar, deliver: Any
) -> None:
    """The car reports 85 while 90 is commanded: 90 still shows, pending, until it is 90."""
    await _commanded_90(hass, car, deliver)
    assert await _limit_reported(hass, car, deliver, 85) == ("90", True)
    assert await _limit_reported(hass, car, deliver, 90) == ("90", False)
