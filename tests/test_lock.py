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
from homeassistant.helpers import entity_registry as er

from custom_components.smartcar.api import DEFAULT_SCOPES
from custom_components.smartcar.pending_commands import CONFIRM_READ_AFTER, PENDING_AT_MOST

from .conftest import Post, make_state
from .smartcar_car import COMMAND, READ, REQUEST_ID, FakeCar

LOCK = "lock.kia_ev6_lock"
LOCK_SENSOR = "binary_sensor.kia_ev6_lock"
IS_LOCKED = "closure-islocked"
WITHOUT_SECURITY = [*DEFAULT_SCOPES, "control_charge"]


async def lock_service(hass: HomeAssistant, service: str, entity_id: str = LOCK) -> None:
    """``lock.<service>`` as a user's tap or an automation calls it."""
    await hass.services.async_call("lock", service, {"entity_id": entity_id}, blocking=True)


async def unlock_held(hass: HomeAssistant, car: FakeCar) -> asyncio.Task[None]:
    """Unlock, Smartcar holding its answer until ``car.answer_commands`` is set."""
    car.answer_commands = asyncio.Event()
    task = hass.async_create_task(lock_service(hass, "unlock"))
    await asyncio.wait_for(car.commanded.wait(), 1)  # sent; Smartcar has not answered yet
    return task


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
    task = await unlock_held(hass, car)
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


async def test_a_failed_confirming_read_waits_on(
    hass: HomeAssistant,
    car: FakeCar,
    deliver: Any,
    controls: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The read times out: in the diagnostics' log, not raised; the wait ends as it would."""
    tasks: list[asyncio.Task[Any]] = []
    create_task = controls.async_create_background_task

    def keep(*args: Any, **kwargs: Any) -> asyncio.Task[Any]:
        tasks.append(create_task(*args, **kwargs))
        return tasks[-1]

    monkeypatch.setattr(controls, "async_create_background_task", keep)
    await deliver(car.delivery())
    car.acts = False
    car.fail(READ, exc=TimeoutError())
    await lock_service(hass, "unlock")
    await later(hass, freezer, CONFIRM_READ_AFTER)
    await hass.async_block_till_done(wait_background_tasks=True)
    (confirming_read,) = tasks
    assert confirming_read.exception() is None
    assert hass.states.get(LOCK).state == LockState.UNLOCKING
    await later(hass, freezer, PENDING_AT_MOST)
    assert hass.states.get(LOCK).state == LockState.LOCKED
    assert control_log(controls) == [
        ("unlock", "done"),
        ("confirming_read", "failed"),
        ("unlock", "not_confirmed"),
    ]


async def test_a_delivery_can_confirm_before_smartcar_answers(
    hass: HomeAssistant,
    car: FakeCar,
    deliver: Any,
    controls: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The car reports unlocked while Smartcar's answer is on its way: nothing left to wait for."""
    await deliver(car.delivery())
    task = await unlock_held(hass, car)
    car.change(IS_LOCKED, {"value": False})
    await deliver(car.delivery(IS_LOCKED), settle=False)
    assert hass.states.get(LOCK).state == LockState.UNLOCKED
    car.answer_commands.set()
    await task
    await later(hass, freezer, PENDING_AT_MOST)
    assert car.reads == []
    assert control_log(controls) == [("unlock", "confirmed"), ("unlock", "done")]


async def test_a_command_refused_after_the_car_showed_it(
    hass: HomeAssistant, car: FakeCar, deliver: Any, controls: MockConfigEntry
) -> None:
    """Confirmed by a delivery, then Smartcar's answer is an error: said so, as the car shows."""
    await deliver(car.delivery())
    car.fail(COMMAND, exc=TimeoutError())
    task = await unlock_held(hass, car)
    car.change(IS_LOCKED, {"value": False})
    await deliver(car.delivery(IS_LOCKED), settle=False)
    car.answer_commands.set()
    with pytest.raises(HomeAssistantError, match="did not answer in time"):
        await task
    assert hass.states.get(LOCK).state == LockState.UNLOCKED
    assert control_log(controls) == [("unlock", "confirmed"), ("unlock", "failed")]
