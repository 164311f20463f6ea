"""The refresh button: a vehicle's signals read through Smartcar's API, applied as a delivery."""

from __future__ import annotations

from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from homeassistant.const import EVENT_STATE_CHANGED
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr

from custom_components.smartcar.const import EVENT_DELIVERY

from .conftest import ICE_ID, make_state, vehicle_device
from .smartcar_car import READ, FakeCar

REFRESH = "button.kia_ev6_refresh"
BATTERY = "sensor.kia_ev6_battery"
SOC = "tractionbattery-stateofcharge"


async def press(hass: HomeAssistant, entity_id: str = REFRESH) -> None:
    """Press a button on the device page (``button.press``)."""
    await hass.services.async_call("button", "press", {"entity_id": entity_id}, blocking=True)


async def test_a_listed_vehicle_is_read_before_it_delivers(
    hass: HomeAssistant, car: FakeCar, controls: MockConfigEntry
) -> None:
    """The button exists from setup; a press brings the entities, the device keeps its make."""
    assert hass.states.get(BATTERY) is None
    await press(hass)
    assert car.reads == ["all"]
    assert hass.states.get(BATTERY).state == "63"
    assert hass.states.get("lock.kia_ev6_lock").state == "locked"
    device = vehicle_device(hass, car.vehicle_id)
    assert (device.manufacturer, device.model, device.name) == ("Kia", "EV6", "Kia EV6")
    assert [(record.kind, record.result) for record in controls.runtime_data.control.log] == [
        ("refresh", "applied")
    ]


async def test_a_vehicle_that_delivers_gets_a_button(
    hass: HomeAssistant, car: FakeCar, deliver: Any, device_registry: dr.DeviceRegistry
) -> None:
    """A vehicle the entry did not list, once it delivers: its own refresh button."""
    await deliver(make_state({SOC: {"value": 40}}, vehicle_id=ICE_ID, make="TOYOTA"))
    assert hass.states.get("button.toyota_ev6_refresh") is not None
    assert len(hass.states.async_entity_ids("button")) == 2


async def test_a_refresh_orders_and_writes_like_a_delivery(
    hass: HomeAssistant, car: FakeCar, deliver: Any
) -> None:
    """An older value read never replaces a newer delivered one; unchanged ones write nothing."""
    car.change(SOC, {"value": 70, "unit": "percent"})
    await deliver(car.delivery())
    recorded_later = car.recorded_at[SOC]
    car.bodies[SOC] = {"value": 60, "unit": "percent"}
    car.recorded_at[SOC] = recorded_later - 30  # Smartcar still holds an older report
    car.change("charge-ischarging", {"value": True})
    written: list[str] = []

    @callback
    def record(event: Event) -> None:
        written.append(event.data["entity_id"])

    hass.bus.async_listen(EVENT_STATE_CHANGED, record)
    await press(hass)
    assert hass.states.get(BATTERY).state == "70"
    assert hass.states.get("switch.kia_ev6_charging").state == "on"
    # The press, the call it counted, the signal that changed, and its transition
    # (charging started): no other.
    assert sorted(written) == [
        "button.kia_ev6_refresh",
        "event.kia_ev6_vehicle_event",
        "sensor.kia_ev6_api_calls_this_month",
        "switch.kia_ev6_charging",
    ]
    assert hass.states.get("event.kia_ev6_vehicle_event").attributes["event_type"] == (
        "charging_started"
    )


async def test_a_refresh_is_announced_as_one(
    hass: HomeAssistant, car: FakeCar, deliver: Any
) -> None:
    """A transition a refresh finds is announced with REFRESH as the bus event's trigger."""
    await deliver(car.delivery())
    events: list[dict[str, Any]] = []
    hass.bus.async_listen(EVENT_DELIVERY, lambda event: events.append(event.data))
    car.change(SOC, {"value": 64, "unit": "percent"})
    await press(hass)
    await hass.async_block_till_done()
    assert events == []  # a new value, nothing that happened
    assert hass.states.get(BATTERY).state == "64"

    car.change("charge-ischarging", {"value": True})
    await press(hass)
    await hass.async_block_till_done()
    assert [(event["triggers"], event["transitions"]) for event in events] == [
        (["REFRESH"], ["charging_started"])
    ]


async def test_a_car_smartcar_holds_nothing_of(
    hass: HomeAssistant, car: FakeCar, controls: MockConfigEntry
) -> None:
    """Never subscribed, Smartcar answers no signals: nothing changes, nothing fails."""
    car.bodies.clear()
    await press(hass)
    assert hass.states.get(BATTERY) is None
    assert controls.runtime_data.control.log[-1].result == "no_signals"


async def test_a_failed_refresh_says_why(
    hass: HomeAssistant, car: FakeCar, controls: MockConfigEntry
) -> None:
    """A read Smartcar refuses is a translated error with Smartcar's message."""
    body = {
        "type": "CONNECTED_SERVICES_ACCOUNT",
        "code": "SUBSCRIPTION",
        "status": 400,
        "suggestedUserMessage": "Renew your connected services.",
    }
    car.fail(READ, 400, json=body)
    with pytest.raises(HomeAssistantError) as refused:
        await press(hass)
    assert refused.value.translation_key == "car_maker_account"
    assert str(refused.value).endswith("Renew your connected services.")
    assert controls.runtime_data.control.log[-1].result == "failed"
