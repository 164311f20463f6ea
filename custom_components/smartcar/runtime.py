"""The running state of one Smartcar config entry: fleet, storage, devices, subscribers."""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
import time
from typing import TYPE_CHECKING, Any, Final

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.util import dt as dt_util

from .const import (
    CONF_MANAGEMENT_TOKEN,
    CONF_STALE_AFTER,
    DEFAULT_STALE_AFTER,
    DOMAIN,
    EVENT_DELIVERY,
    LOGGER,
    RECENT_DELIVERIES,
    SIGNATURE_FAILURES_FOR_REPAIR,
)
from .fleet import Changes, Fleet, Vehicle
from .issues import (
    NOT_REPORTING,
    SIGNATURE_FAILURES,
    async_set_issue,
    async_sync_vehicle_errors,
    entry_issue_id,
    vehicle_issue_prefix,
)
from .protocol import Event, UnknownEvent, VehicleError, VehicleState
from .signals import display_make
from .store import FleetStore, fleet_store
from .transitions import TRANSITION_SIGNALS, detect

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry

NICKNAME: Final = "vehicleidentification-nickname"
FIRMWARE: Final = "connectivitysoftware-currentfirmwareversion"
VIN: Final = "vehicleidentification-vin"
DEVICE_SIGNALS: Final = frozenset({NICKNAME, FIRMWARE, VIN})

# Pseudo-signals of the vehicle itself, for its own entities: DELIVERY follows every
# accepted delivery ("last update"), STATUS its reachability and errors ("reporting",
# "vehicle error"), so those are not recomputed for every delivery.
DELIVERY: Final = None
STATUS: Final = "#status"
VEHICLE_TOPICS: Final = (DELIVERY, STATUS)

# Called with the signals a vehicle delivered a value for the first time; the vehicle
# topics in the collection stand for the vehicle itself (first seen).
type SignalsListener = Callable[[Vehicle, Collection[str | None]], None]
type TransitionListener = Callable[[str], None]


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
        self, hass: HomeAssistant, entry: ConfigEntry, fleet: Fleet, store: FleetStore
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
        self._transition_listeners: defaultdict[str, list[TransitionListener]] = defaultdict(list)
        self._device_ids: dict[str, str] = {}
        # VINs the Smartcar API listed (Connect entries): the device's serial number until
        # the vehicle delivers its VIN signal.
        self._listed_vins: dict[str, str] = {}
        self._stale_timers: dict[str, CALLBACK_TYPE] = {}
        self._not_reporting: set[str] = set()
        self._reporting: dict[str, bool] = {}
        self._device_infos: dict[str, DeviceInfo] = {}
        self.signature_failures = 0
        self.last_verified_at: datetime | None = None

    @classmethod
    async def async_load(cls, hass: HomeAssistant, entry: ConfigEntry) -> SmartcarRuntime:
        """Load the entry's stored values so entities show them before any delivery."""
        store = fleet_store(hass, entry.entry_id)
        fleet = await store.async_load()
        runtime = cls(hass, entry, fleet, store)
        for vehicle in fleet.vehicles.values():
            runtime._update_device(vehicle)
            runtime._check_reporting(vehicle.id)
            async_sync_vehicle_errors(hass, vehicle, runtime.vehicle_name(vehicle))
        entry.async_on_unload(runtime._cancel_timers)
        return runtime

    @property
    def token(self) -> str:
        """The Application Management Token that signs every delivery."""
        return str(self.entry.data[CONF_MANAGEMENT_TOKEN])

    @property
    def stale_after(self) -> timedelta:
        """How long without a delivery before a vehicle counts as not reporting."""
        hours = self.entry.options.get(CONF_STALE_AFTER)
        return timedelta(hours=hours) if hours else DEFAULT_STALE_AFTER

    def is_reporting(self, vehicle_id: str) -> bool:
        """Whether deliveries keep arriving and Smartcar can reach the car."""
        vehicle = self.fleet.vehicles.get(vehicle_id)
        if vehicle is None or vehicle.last_delivery_at is None or vehicle.out_of_reach:
            return False
        return _now_ms() < self._stale_at_ms(vehicle.last_delivery_at)

    def _stale_at_ms(self, last_delivery_at: int) -> int:
        # Milliseconds, as the fleet keeps times: checked on every delivery, kept cheap.
        return last_delivery_at + int(self.stale_after.total_seconds() * 1000)

    def vehicle_name(self, vehicle: Vehicle) -> str:
        """The vehicle's name as its device shows it."""
        device_id = self._device_ids.get(vehicle.id)
        if device_id and (device := dr.async_get(self.hass).async_get(device_id)):
            return device.name_by_user or device.name or vehicle.id
        return vehicle.id

    def device_info(self, vehicle_id: str) -> DeviceInfo:
        """The link from an entity to its vehicle's device, one object per vehicle."""
        if (info := self._device_infos.get(vehicle_id)) is None:
            info = self._device_infos[vehicle_id] = DeviceInfo(identifiers={(DOMAIN, vehicle_id)})
        return info

    def device_id(self, vehicle_id: str) -> str | None:
        """The device registry id of a vehicle."""
        return self._device_ids.get(vehicle_id)

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
    def async_subscribe_transitions(
        self, vehicle_id: str, listener: TransitionListener
    ) -> CALLBACK_TYPE:
        """Call ``listener`` with each transition (``"plugged_in"``...) of a vehicle."""
        listeners = self._transition_listeners[vehicle_id]
        listeners.append(listener)
        return lambda: listeners.remove(listener)

    @callback
    def async_add_signals_listener(self, listener: SignalsListener) -> CALLBACK_TYPE:
        """Call ``listener`` for every vehicle and signal with a value, now and when new."""
        self._signals_listeners.append(listener)
        for vehicle in self.fleet.vehicles.values():
            delivered = [code for code, state in vehicle.signals.items() if state.body is not None]
            listener(vehicle, [*VEHICLE_TOPICS, *delivered])
        return lambda: self._signals_listeners.remove(listener)

    @callback
    def note_unit(self, vehicle_id: str, key: str, note: str | None) -> None:
        """Keep (or clear) a unit problem of one entity, for diagnostics."""
        if note is not None:
            self.unit_notes[f"{vehicle_id}/{key}"] = note
        elif self.unit_notes:  # nearly always empty: then there is nothing to clear
            self.unit_notes.pop(f"{vehicle_id}/{key}", None)

    # --- Deliveries ---------------------------------------------------------------------

    @callback
    def async_record(self, delivery: Delivery) -> None:
        """Keep a request in the recent-deliveries log."""
        self.deliveries.append(delivery)

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
    def async_verified(self) -> None:
        """Remember that Smartcar's VERIFY reached this entry."""
        self.last_verified_at = dt_util.utcnow()

    @callback
    def async_apply(self, event: Event) -> str:
        """Apply a verified event in memory; return what happened, for the answer."""
        if isinstance(event, UnknownEvent):
            return "ignored"
        if event.mode == "TEST":
            return "ignored"
        if isinstance(event, VehicleState):
            changes = self.fleet.apply_state(event, _now_ms())
        else:
            changes = self.fleet.apply_error(event)
        if changes.duplicate:
            return "duplicate"
        self._publish(changes, event)
        return "applied"

    def _publish(self, changes: Changes, event: VehicleState | VehicleError) -> None:
        """Tell devices, new entities, changed entities and automations what changed."""
        vehicle = changes.vehicle
        if changes.new_vehicle or changes.info_changed or changes.signals & DEVICE_SIGNALS:
            self._update_device(vehicle)
        new: Collection[str | None] = (
            {*VEHICLE_TOPICS, *changes.first_values}
            if changes.new_vehicle
            else changes.first_values
        )
        if new:
            for signals_listener in self._signals_listeners:
                signals_listener(vehicle, new)
        for code in changes.signals:
            self._notify(vehicle.id, code)
        is_state = isinstance(event, VehicleState)
        if is_state:
            self._notify(vehicle.id, DELIVERY)
        if is_state or changes.errors_changed:
            self._check_reporting(vehicle.id)
        if changes.errors_changed:
            self._notify(vehicle.id, STATUS)
            async_sync_vehicle_errors(self.hass, vehicle, self.vehicle_name(vehicle))
        transitions = self._fire_transitions(changes) if is_state else []
        self.hass.bus.async_fire(EVENT_DELIVERY, self._bus_event(vehicle, event, transitions))
        self._store.schedule_save()

    def _notify(self, vehicle_id: str, code: str | None) -> None:
        for listener in self._listeners.get((vehicle_id, code), ()):
            listener()

    def _fire_transitions(self, changes: Changes) -> list[str]:
        if changes.signals.isdisjoint(TRANSITION_SIGNALS):
            return []  # most deliveries: no signal that names a transition changed
        vehicle = changes.vehicle
        transitions = detect(
            (code, changes.previous[code], vehicle.signals[code].body)
            for code in changes.signals & TRANSITION_SIGNALS
            if code in changes.previous
        )
        for transition in transitions:
            for listener in self._transition_listeners.get(vehicle.id, ()):
                listener(transition)
        return transitions

    def _bus_event(
        self, vehicle: Vehicle, event: VehicleState | VehicleError, transitions: list[str]
    ) -> dict[str, Any]:
        data: dict[str, Any] = {
            "vehicle_id": vehicle.id,
            "device_id": self._device_ids.get(vehicle.id),
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

    # --- Freshness and setup checks -----------------------------------------------------

    @callback
    def _check_reporting(self, vehicle_id: str) -> None:
        """Keep the "not reporting" repair and the staleness timer in step with the vehicle."""
        vehicle = self.fleet.vehicles.get(vehicle_id)
        if vehicle is None:
            return
        reporting = self.is_reporting(vehicle_id)
        if self._reporting.get(vehicle_id) != reporting:
            self._reporting[vehicle_id] = reporting
            self._notify(vehicle_id, STATUS)
        if vehicle.last_delivery_at is None:
            return
        stale_at = self._stale_at_ms(vehicle.last_delivery_at)
        stale = _now_ms() >= stale_at
        if not stale and vehicle_id not in self._stale_timers:
            self._stale_timers[vehicle_id] = async_track_point_in_utc_time(
                self.hass,
                partial(self._handle_stale_timer, vehicle_id),
                dt_util.utc_from_timestamp(stale_at / 1000),
            )
        if stale == (vehicle_id in self._not_reporting):
            return  # the repair already says so (checked on every delivery: keep it cheap)
        hours = int(self.stale_after.total_seconds() // 3600)
        if stale:
            self._not_reporting.add(vehicle_id)
            LOGGER.info(
                "%s stopped reporting: no delivery from Smartcar for %s hours",
                self.vehicle_name(vehicle),
                hours,
            )
        else:
            self._not_reporting.discard(vehicle_id)
            LOGGER.info("%s is reporting again", self.vehicle_name(vehicle))
        self._reporting.pop(vehicle_id, None)
        async_set_issue(
            self.hass,
            vehicle_issue_prefix(NOT_REPORTING, vehicle_id),
            active=stale,
            translation_key=NOT_REPORTING,
            placeholders={
                "vehicle": self.vehicle_name(vehicle),
                "hours": str(hours),
            },
            severity=ir.IssueSeverity.WARNING,
        )

    @callback
    def _handle_stale_timer(self, vehicle_id: str, _now: datetime) -> None:
        # Deliveries since the timer was set moved the deadline; checking re-arms it.
        del self._stale_timers[vehicle_id]
        self._check_reporting(vehicle_id)

    @callback
    def _cancel_timers(self) -> None:
        for cancel in self._stale_timers.values():
            cancel()
        self._stale_timers.clear()

    async def async_flush(self) -> None:
        """Write the fleet now (on unload), instead of within the save delay."""
        await self._store.async_flush()

    @callback
    def async_forget_vehicle(self, vehicle_id: str) -> None:
        """Drop a vehicle the user removed, with its repairs; its next delivery adds it again."""
        if (vehicle := self.fleet.vehicles.pop(vehicle_id, None)) is not None:
            vehicle.errors.clear()
            async_sync_vehicle_errors(self.hass, vehicle, vehicle.id)
        for key in [key for key in self.unit_notes if key.startswith(f"{vehicle_id}/")]:
            del self.unit_notes[key]
        self._device_ids.pop(vehicle_id, None)
        if (cancel := self._stale_timers.pop(vehicle_id, None)) is not None:
            cancel()
        self._not_reporting.discard(vehicle_id)
        async_set_issue(
            self.hass,
            vehicle_issue_prefix(NOT_REPORTING, vehicle_id),
            active=False,
            translation_key=NOT_REPORTING,
        )
        self._store.schedule_save()

    # --- Devices ------------------------------------------------------------------------

    @callback
    def async_add_listed_vehicle(self, vehicle: Vehicle, vin: str | None) -> None:
        """Create the device of a vehicle the Smartcar API listed, before it delivers."""
        if vin:
            self._listed_vins[vehicle.id] = vin
        # A vehicle that delivered already knows better than the list.
        self._update_device(self.fleet.vehicles.get(vehicle.id) or vehicle)

    def _update_device(self, vehicle: Vehicle) -> None:
        make = display_make(vehicle.make)
        nickname = _text(vehicle.value(NICKNAME))
        default_name = " ".join(part for part in (make, vehicle.model) if part) or "Vehicle"
        device = dr.async_get(self.hass).async_get_or_create(
            config_entry_id=self.entry.entry_id,
            identifiers={(DOMAIN, vehicle.id)},
            manufacturer=make,
            model=vehicle.model,
            model_id=str(vehicle.year) if vehicle.year else None,
            name=nickname or default_name,
            sw_version=_text(vehicle.value(FIRMWARE)),
            serial_number=_text(vehicle.value(VIN)) or self._listed_vins.get(vehicle.id),
        )
        self._device_ids[vehicle.id] = device.id


def _text(body: dict[str, Any] | None) -> str | None:
    value = body.get("value") if body else None
    return value if isinstance(value, str) and value else None


def _now_ms() -> int:
    """Now, in milliseconds since the epoch: the fleet's unit of time."""
    return int(time.time() * 1000)
