"""One config entry while it runs (its ``runtime_data``): the parts, and one delivery's path.

The webhook hands each verified event to ``async_apply``: the fleet applies it, and what it
changed is published once: devices, new and changed entities, freshness, vehicle-error
repairs, automations' transitions, the bus event (transitions and vehicle errors only),
one delayed save.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from homeassistant.core import callback
from homeassistant.util import dt as dt_util

from .const import (
    CONF_MANAGEMENT_TOKEN,
    EVENT_DELIVERY,
    RECENT_DELIVERIES,
    SIGNATURE_FAILURES_FOR_REPAIR,
)
from .devices import DEVICE_SIGNALS, Devices
from .dispatch import VEHICLE_TOPICS, Dispatcher, NewTopicsListener, Topic, VehicleTopic
from .freshness import Freshness, now_ms
from .issues import SIGNATURE_FAILURES, async_set_issue, async_sync_vehicle_errors, entry_issue_id
from .protocol import Event, UnknownEvent, VehicleError, VehicleState
from .store import fleet_store
from .transitions import TRANSITION_SIGNALS, detect

if TYPE_CHECKING:
    from collections.abc import Collection
    from datetime import datetime

    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import CALLBACK_TYPE, HomeAssistant

    from .control import VehicleControl
    from .fleet import Changes, Fleet, Vehicle
    from .store import FleetStore


@dataclass(frozen=True, slots=True)
class Delivery:
    """One request to the webhook, as diagnostics show it (never its content)."""

    at: datetime
    event_type: str | None
    status: int
    result: str
    signals: int = 0
    triggers: tuple[str, ...] = ()


class SmartcarRuntime:
    """Everything one config entry needs while it runs.

    Its parts: ``fleet`` (the values), ``store`` (their file), ``devices``, ``dispatch``
    (entities' and platforms' subscriptions) and ``freshness`` (reporting and its repair);
    a Smartcar Connect entry on API v3 also has ``control`` (commands, refreshes, their log
    and the monthly call count), which hands what it reads to ``async_apply``.
    """

    def __init__(
        self, hass: HomeAssistant, entry: ConfigEntry, fleet: Fleet, store: FleetStore
    ) -> None:
        """Wire a loaded fleet to its parts; use ``async_load`` to build one."""
        self.hass = hass
        self.entry = entry
        self.fleet = fleet
        self.store = store
        self.devices = Devices(hass, entry)
        self.dispatch = Dispatcher()
        self.freshness = Freshness(
            hass,
            entry,
            fleet,
            self.devices,
            lambda vehicle_id: self.dispatch.notify(vehicle_id, VehicleTopic.STATUS),
        )
        self.deliveries: deque[Delivery] = deque(maxlen=RECENT_DELIVERIES)
        self.signature_failures = 0
        self.last_verified_at: datetime | None = None
        self.control: VehicleControl | None = None

    @classmethod
    async def async_load(cls, hass: HomeAssistant, entry: ConfigEntry) -> SmartcarRuntime:
        """Load the entry's stored values so entities show them before any delivery."""
        store = fleet_store(hass, entry.entry_id)
        runtime = cls(hass, entry, await store.async_load(), store)
        for vehicle in runtime.fleet.vehicles.values():
            runtime.devices.update(vehicle)
            runtime.freshness.check(vehicle.id)
            async_sync_vehicle_errors(hass, vehicle, runtime.devices.name(vehicle))
        entry.async_on_unload(runtime.freshness.cancel)
        return runtime

    # --- What the webhook answers for -------------------------------------------------

    @property
    def token(self) -> str:
        """The Application Management Token that signs every delivery."""
        return str(self.entry.data[CONF_MANAGEMENT_TOKEN])

    @callback
    def async_record(self, delivery: Delivery) -> None:
        """Keep a request in the recent-deliveries log."""
        self.deliveries.append(delivery)

    @callback
    def async_verified(self) -> None:
        """Remember that Smartcar's VERIFY reached this entry."""
        self.last_verified_at = dt_util.utcnow()

    @callback
    def async_signature_checked(self, *, valid: bool) -> None:
        """Count signature failures in a row; after several, tell the user how to fix it."""
        failures_before = self.signature_failures
        self.signature_failures = 0 if valid else failures_before + 1
        was_open = failures_before >= SIGNATURE_FAILURES_FOR_REPAIR
        is_open = self.signature_failures >= SIGNATURE_FAILURES_FOR_REPAIR
        if was_open != is_open:
            async_set_issue(
                self.hass,
                entry_issue_id(SIGNATURE_FAILURES, self.entry.entry_id),
                active=is_open,
                translation_key=SIGNATURE_FAILURES,
                placeholders={"entry": self.entry.title},
                fixable=True,
                data={"entry_id": self.entry.entry_id},
            )

    @callback
    def async_apply(self, event: Event) -> str:
        """Apply a verified event in memory and publish it; return what happened."""
        if isinstance(event, UnknownEvent) or event.mode == "TEST":
            return "ignored"
        if isinstance(event, VehicleState):
            changes = self.fleet.apply_state(event, now_ms())
        else:
            changes = self.fleet.apply_error(event)
        if changes.duplicate:
            return "duplicate"
        self._publish(changes, event)
        return "applied"

    # --- Publishing what changed ------------------------------------------------------

    def _publish(self, changes: Changes, event: VehicleState | VehicleError) -> None:
        """Tell devices, new entities, changed entities and automations what changed."""
        vehicle = changes.vehicle
        if changes.new_vehicle or changes.info_changed or changes.signals & DEVICE_SIGNALS:
            self.devices.update(vehicle)
        new: Collection[Topic] = (
            {*VEHICLE_TOPICS, *changes.first_values}
            if changes.new_vehicle
            else changes.first_values
        )
        if new:
            self.dispatch.announce(vehicle, new)
        for code in changes.signals:
            self.dispatch.notify(vehicle.id, code)
        is_state = isinstance(event, VehicleState)
        if is_state:
            self.dispatch.notify(vehicle.id, VehicleTopic.DELIVERY)
        if is_state or changes.errors_changed:
            self.freshness.check(vehicle.id)
        if changes.errors_changed:
            self.dispatch.notify(vehicle.id, VehicleTopic.STATUS)
            async_sync_vehicle_errors(self.hass, vehicle, self.devices.name(vehicle))
        transitions = self._transitions(changes) if is_state else []
        for transition in transitions:
            self.dispatch.fire_transition(vehicle.id, transition)
        if transitions or not is_state:
            # What happened to the car, not every delivery: a day of deliveries would be
            # 288 rows a car in the recorder's events, for values the entities already show.
            self.hass.bus.async_fire(EVENT_DELIVERY, self._bus_event(vehicle, event, transitions))
        self.store.schedule_save()

    @staticmethod
    def _transitions(changes: Changes) -> list[str]:
        if changes.signals.isdisjoint(TRANSITION_SIGNALS):
            return []  # most deliveries: no signal that names a transition changed
        return detect(
            (code, changes.previous[code], changes.vehicle.signals[code].body)
            for code in changes.signals & TRANSITION_SIGNALS
            if code in changes.previous
        )

    def _bus_event(
        self, vehicle: Vehicle, event: VehicleState | VehicleError, transitions: list[str]
    ) -> dict[str, Any]:
        data: dict[str, Any] = {
            "vehicle_id": vehicle.id,
            "device_id": self.devices.device_id(vehicle.id),
        }
        if isinstance(event, VehicleState):
            data["event_type"] = "VEHICLE_STATE"
            data["triggers"] = [trigger.name for trigger in event.triggers]
            data["transitions"] = transitions
        else:
            data["event_type"] = "VEHICLE_ERROR"
            data["errors"] = [
                {"type": item.type, "code": item.code, "state": item.state} for item in event.errors
            ]
        return data

    # --- The platforms' and the user's side -------------------------------------------

    @callback
    def async_listen_new_topics(self, listener: NewTopicsListener) -> CALLBACK_TYPE:
        """Call ``listener`` for every vehicle and topic with a value, now and when new."""
        for vehicle in self.fleet.vehicles.values():
            delivered = [code for code, state in vehicle.signals.items() if state.body is not None]
            listener(vehicle, [*VEHICLE_TOPICS, *delivered])
        return self.dispatch.listen_new_topics(listener)

    @callback
    def async_add_listed_vehicle(self, vehicle: Vehicle, vin: str | None) -> None:
        """Create the device of a vehicle the Smartcar API listed, before it delivers."""
        # A vehicle that delivered already knows better than the list.
        self.devices.add_listed(self.fleet.vehicles.get(vehicle.id) or vehicle, vin)

    @callback
    def async_forget_vehicle(self, vehicle_id: str) -> None:
        """Drop a vehicle the user removed, with its repairs; its next delivery adds it again."""
        if (vehicle := self.fleet.vehicles.pop(vehicle_id, None)) is not None:
            vehicle.errors.clear()
            async_sync_vehicle_errors(self.hass, vehicle, vehicle.id)
        self.devices.forget(vehicle_id)
        self.freshness.forget(vehicle_id)
        self.store.schedule_save()

    async def async_flush(self) -> None:
        """Write the fleet now (on unload), instead of within the save delay."""
        await self.store.async_flush()
