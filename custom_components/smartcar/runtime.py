"""The running state of one Smartcar config entry: fleet, storage, devices, subscribers."""

from __future__ import annotations

import time
from collections import defaultdict, deque
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.storage import Store

from .const import (
    CONF_MANAGEMENT_TOKEN,
    DOMAIN,
    RECENT_DELIVERIES,
    SAVE_DELAY_SECONDS,
    STORAGE_VERSION,
)
from .fleet import Applied, Fleet, Vehicle
from .protocol import Event, UnknownEvent, VehicleError, VehicleState
from .signals import display_make

if TYPE_CHECKING:
    from datetime import datetime

    from homeassistant.config_entries import ConfigEntry

NICKNAME: Final = "vehicleidentification-nickname"
FIRMWARE: Final = "connectivitysoftware-currentfirmwareversion"
VIN: Final = "vehicleidentification-vin"
DEVICE_SIGNALS: Final = frozenset({NICKNAME, FIRMWARE, VIN})

# Called with the signals a vehicle delivered a value for the first time; ``None`` in the
# collection stands for the vehicle itself (first seen), for its vehicle-level entities.
type SignalsListener = Callable[[Vehicle, Collection[str | None]], None]


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
    """Everything one config entry needs while it runs (its ``runtime_data``)."""

    def __init__(
        self, hass: HomeAssistant, entry: ConfigEntry, fleet: Fleet, store: Store[Any]
    ) -> None:
        """Wire a loaded fleet to its storage; use ``async_load`` to build one."""
        self.hass = hass
        self.entry = entry
        self.fleet = fleet
        self._store = store
        self.deliveries: deque[Delivery] = deque(maxlen=RECENT_DELIVERIES)
        self.unit_notes: dict[str, str] = {}
        self._listeners: defaultdict[tuple[str, str | None], list[CALLBACK_TYPE]] = defaultdict(
            list
        )
        self._signals_listeners: list[SignalsListener] = []

    @classmethod
    async def async_load(cls, hass: HomeAssistant, entry: ConfigEntry) -> SmartcarRuntime:
        """Load the entry's stored values so entities show them before any delivery."""
        store = fleet_store(hass, entry.entry_id)
        fleet = Fleet.from_dict(await store.async_load())
        runtime = cls(hass, entry, fleet, store)
        for vehicle in fleet.vehicles.values():
            runtime._update_device(vehicle)
        return runtime

    @property
    def token(self) -> str:
        """The Application Management Token that signs every delivery."""
        return str(self.entry.data[CONF_MANAGEMENT_TOKEN])

    # --- Subscriptions -----------------------------------------------------------------

    @callback
    def async_subscribe(
        self, vehicle_id: str, code: str | None, listener: CALLBACK_TYPE
    ) -> CALLBACK_TYPE:
        """Call ``listener`` when a signal of a vehicle changes (``None``: on every delivery)."""
        listeners = self._listeners[(vehicle_id, code)]
        listeners.append(listener)
        return lambda: listeners.remove(listener)

    @callback
    def async_add_signals_listener(self, listener: SignalsListener) -> CALLBACK_TYPE:
        """Call ``listener`` for every vehicle and signal with a value, now and when new."""
        self._signals_listeners.append(listener)
        for vehicle in self.fleet.vehicles.values():
            delivered = [code for code, state in vehicle.signals.items() if state.body is not None]
            listener(vehicle, [None, *delivered])
        return lambda: self._signals_listeners.remove(listener)

    @callback
    def note_unit(self, vehicle_id: str, key: str, note: str | None) -> None:
        """Keep (or clear) a unit problem of one entity, for diagnostics."""
        if note is not None:
            self.unit_notes[f"{vehicle_id}/{key}"] = note
        else:
            self.unit_notes.pop(f"{vehicle_id}/{key}", None)

    # --- Deliveries ---------------------------------------------------------------------

    @callback
    def async_record(self, delivery: Delivery) -> None:
        """Keep a request in the recent-deliveries log."""
        self.deliveries.append(delivery)

    @callback
    def async_apply(self, event: Event) -> str:
        """Apply a verified event in memory; return what happened, for the answer."""
        if isinstance(event, UnknownEvent):
            return "ignored"
        if event.mode == "TEST":
            return "ignored"
        if isinstance(event, VehicleState):
            applied = self.fleet.apply_state(event, int(time.time() * 1000))
        else:
            applied = self.fleet.apply_error(event)
        if applied.duplicate:
            return "duplicate"
        self._publish(applied, error_event=isinstance(event, VehicleError))
        return "applied"

    def _publish(self, applied: Applied, *, error_event: bool) -> None:
        vehicle = applied.vehicle
        if applied.new_vehicle or applied.info_changed or applied.changed & DEVICE_SIGNALS:
            self._update_device(vehicle)
        new: Collection[str | None] = (
            {None, *applied.first_values} if applied.new_vehicle else applied.first_values
        )
        if new:
            for signals_listener in self._signals_listeners:
                signals_listener(vehicle, new)
        for code in applied.changed:
            for listener in self._listeners.get((vehicle.id, code), ()):
                listener()
        if not error_event:
            for listener in self._listeners.get((vehicle.id, None), ()):
                listener()
        self._store.async_delay_save(self.fleet.as_dict, SAVE_DELAY_SECONDS)

    async def async_flush(self) -> None:
        """Write the fleet now (on unload), instead of within the save delay."""
        await self._store.async_save(self.fleet.as_dict())

    @callback
    def async_forget_vehicle(self, vehicle_id: str) -> None:
        """Drop a vehicle the user removed; its next delivery adds it again."""
        self.fleet.vehicles.pop(vehicle_id, None)
        self._store.async_delay_save(self.fleet.as_dict, SAVE_DELAY_SECONDS)

    # --- Devices ------------------------------------------------------------------------

    def _update_device(self, vehicle: Vehicle) -> None:
        make = display_make(vehicle.make)
        nickname = _text(vehicle.value(NICKNAME))
        default_name = " ".join(part for part in (make, vehicle.model) if part) or "Vehicle"
        dr.async_get(self.hass).async_get_or_create(
            config_entry_id=self.entry.entry_id,
            identifiers={(DOMAIN, vehicle.id)},
            manufacturer=make,
            model=vehicle.model,
            model_id=str(vehicle.year) if vehicle.year else None,
            name=nickname or default_name,
            sw_version=_text(vehicle.value(FIRMWARE)),
            serial_number=_text(vehicle.value(VIN)),
        )


def fleet_store(hass: HomeAssistant, entry_id: str) -> Store[Any]:
    """The storage file holding one entry's latest values."""
    return Store(hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}")


def _text(body: dict[str, Any] | None) -> str | None:
    value = body.get("value") if body else None
    return value if isinstance(value, str) and value else None
