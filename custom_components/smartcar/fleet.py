"""What the integration knows about each vehicle, and how a delivery changes it.

Plain Python with no Home Assistant imports. The fleet de-duplicates events, keeps the newest
value per vehicle and signal, and reports exactly which signals changed, so that only the
entities of those signals write state. store.py keeps it in Home Assistant's storage.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from .catalog import BY_CODE
from .json_body import JSONObject
from .plausibility import carries_value
from .protocol import (
    Signal,
    SignalError,
    VehicleError,
    VehicleErrorItem,
    VehicleInfo,
    VehicleState,
    holdable,
    read_signal,
    signal_failed,
)
from .timestamps import ordering_time, parse_timestamp
from .vehicle_errors import TRANSIENT_ERRORS

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

SEEN_EVENTS_LIMIT: Final = 4096

type ErrorKey = tuple[str | None, str | None]
# Whether a signal's delivered body (by its code) holds values that could be true.
type Plausible = Callable[[str, JSONObject], bool]


def can_be_held(_code: str, body: JSONObject) -> bool:
    """The least a body must be to be held: one that can be shown and saved."""
    return holdable(body)


@dataclass(slots=True)
class SignalState:
    """The latest accepted value of one signal of one vehicle.

    ``recorded_at`` and ``retrieved_at`` belong to the value: they are the car maker's and
    Smartcar's times for the delivery that first carried it, so a delivery that repeats
    the same value changes nothing an entity shows. ``newest_seen_at`` is the newest
    ordering time (``ordering_time``) of a value seen for the signal and only guards
    ordering: older data never replaces newer data. An error does not move it: errors
    carry no car maker's time, only the delivery's, and the value that follows an error
    was usually recorded by the car before that delivery.
    """

    body: dict[str, Any] | None = None
    error: SignalError | None = None
    recorded_at: int | None = None
    retrieved_at: int | None = None
    newest_seen_at: int = 0
    # ``recorded_at`` as the car maker's time was last delivered (an integer or ISO text),
    # so that a repeat is recognised without reading the time again: not saved.
    recorded_as: object = None

    @property
    def has_value(self) -> bool:
        """Whether a value is held and no error currently stands in its way."""
        return self.body is not None and self.error is None

    def repeated_by(self, item: JSONObject) -> bool:
        """Whether a delivered signal object is the report held: it changes nothing.

        The same value, recorded by the car at the same time. Smartcar sends the car's
        latest report of every signal with each delivery, most of them the report held:
        this is the check each of them gets, so it stays cheap.
        """
        meta = item.get("meta")
        if (
            self.error is not None
            or self.recorded_at is None
            or not isinstance(meta, dict)
            or self.body != item.get("body")
            or signal_failed(item)
        ):
            return False
        sent = meta.get("oemUpdatedAt")
        if sent is not None and sent == self.recorded_as:
            return True
        if parse_timestamp(sent) != self.recorded_at:
            return False
        self.recorded_as = sent  # the same time, as this car writes it
        return True


@dataclass(slots=True)
class Vehicle:
    """One Smartcar vehicle, its signals and its active errors."""

    id: str
    make: str | None = None
    model: str | None = None
    year: int | None = None
    signals: dict[str, SignalState] = field(default_factory=dict)
    errors: dict[ErrorKey, VehicleErrorItem] = field(default_factory=dict)
    # Signals an active vehicle error names, with that error: unavailable until it clears.
    blocked: dict[str, ErrorKey] = field(default_factory=dict)
    last_delivery_at: int | None = None
    # Per signal, the values refused as implausible since Home Assistant started.
    rejected: dict[str, int] = field(default_factory=dict)

    def update_info(self, info: VehicleInfo) -> bool:
        """Take make, model and year from an event; return whether anything changed."""
        if (info.make, info.model, info.year) == (self.make, self.model, self.year):
            return False  # every delivery but the first: nothing new
        changed = False
        for name in ("make", "model", "year"):
            value = getattr(info, name)
            if value is not None and value != getattr(self, name):
                setattr(self, name, value)
                changed = True
        return changed

    def value(self, code: str) -> dict[str, Any] | None:
        """The current body of a signal, if one is held and nothing stands in its way."""
        state = self.shown_state(code)
        return None if state is None else state.body

    def shown_state(self, code: str) -> SignalState | None:
        """A signal's state, if it holds a value and nothing stands in its way."""
        state = self.signals.get(code)
        if state is None or not state.has_value or code in self.blocked:
            return None
        return state

    def blocking_error(self, code: str) -> ErrorKey | None:
        """An open, non-transient vehicle error that names the signal, if any."""
        for key, item in self.errors.items():
            if item.code not in TRANSIENT_ERRORS and code in item.signals:
                return key
        return None

    @property
    def out_of_reach(self) -> bool:
        """Whether Smartcar says the car is asleep or unreachable right now."""
        return any(code in TRANSIENT_ERRORS for _, code in self.errors)


@dataclass(frozen=True, slots=True)
class Changes:
    """What applying one event changed: what the runtime tells devices, entities, automations.

    ``signals`` are the codes whose shown value, error or blocking changed; ``previous``
    holds the body each of them had before (``None`` for none); ``first_values`` are the
    signals that got a value for the first time.
    """

    vehicle: Vehicle
    new_vehicle: bool = False
    info_changed: bool = False
    signals: frozenset[str] = frozenset()
    first_values: frozenset[str] = frozenset()
    previous: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    errors_changed: bool = False
    duplicate: bool = False


class Fleet:
    """All vehicles of one Smartcar application."""

    def __init__(
        self,
        vehicles: dict[str, Vehicle] | None = None,
        seen_events: Iterable[str] = (),
        plausible: Plausible = can_be_held,
    ) -> None:
        """Hold ``vehicles`` and know ``seen_events`` (oldest first) as applied already.

        A delivered value that is not ``plausible`` is refused: counted in the vehicle's
        ``rejected``, it leaves the value held (and its ordering time) as it was.
        """
        self.vehicles: dict[str, Vehicle] = {} if vehicles is None else vehicles
        self._plausible = plausible
        self._seen: OrderedDict[str, None] = OrderedDict()
        for event_id in seen_events:
            self._remember(event_id)

    def seen(self, event_id: str | None) -> bool:
        """Whether an event with this id was applied already (retries reuse the id)."""
        return event_id is not None and event_id in self._seen

    def recent_events(self, limit: int) -> list[str]:
        """The ids of the newest ``limit`` events applied, oldest first."""
        return list(self._seen)[-limit:]

    def _remember(self, event_id: str | None) -> None:
        if event_id is None:
            return
        self._seen[event_id] = None
        if len(self._seen) > SEEN_EVENTS_LIMIT:
            self._seen.popitem(last=False)

    def _duplicate(self, info: VehicleInfo) -> Changes:
        """A retry of an applied event changes nothing, even for a vehicle since removed."""
        vehicle = self.vehicles.get(info.id)
        return Changes(vehicle=Vehicle(id=info.id) if vehicle is None else vehicle, duplicate=True)

    def _vehicle(self, info: VehicleInfo) -> tuple[Vehicle, bool, bool]:
        vehicle = self.vehicles.get(info.id)
        if vehicle is None:
            vehicle = self.vehicles[info.id] = Vehicle(id=info.id)
            vehicle.update_info(info)
            return vehicle, True, True
        return vehicle, False, vehicle.update_info(info)

    def apply_state(self, event: VehicleState, now_ms: int) -> Changes:
        """Apply a VEHICLE_STATE; return the signals whose value or error changed."""
        if self.seen(event.event_id):
            return self._duplicate(event.vehicle)
        self._remember(event.event_id)
        vehicle, new_vehicle, info_changed = self._vehicle(event.vehicle)
        vehicle.last_delivery_at = now_ms
        changed: set[str] = set()
        first_values: set[str] = set()
        previous: dict[str, dict[str, Any] | None] = {}
        delivered_at = event.delivered_at
        held, blocked = vehicle.signals, vehicle.blocked
        for item in event.signal_objects:
            code = item.get("code")
            state = held.get(code) if isinstance(code, str) else None
            if state is not None and code not in blocked and state.repeated_by(item):
                continue
            signal = read_signal(item)
            if signal is None:
                continue
            if self._passed_over(vehicle, signal):
                continue
            state = held.get(signal.code)
            if state is None:
                state = held[signal.code] = SignalState()
            old_body = state.body
            if _apply_signal(state, signal, delivered_at, now_ms):
                changed.add(signal.code)
                previous[signal.code] = old_body
                if old_body is None and state.body is not None:
                    first_values.add(signal.code)
            # A fresh value outranks a vehicle error that named this signal.
            if signal.error is None and blocked.pop(signal.code, None) is not None:
                changed.add(signal.code)
        return Changes(
            vehicle=vehicle,
            new_vehicle=new_vehicle,
            info_changed=info_changed,
            signals=frozenset(changed),
            first_values=frozenset(first_values),
            previous=previous,
        )

    def _passed_over(self, vehicle: Vehicle, signal: Signal) -> bool:
        """Whether a delivered body is no value to hold: a first empty one, or implausible.

        ``{"value": null}`` says the car reports nothing. As a signal's first body it is not
        held, so that no entity appears stuck at "unknown" before a real value; after a
        value it is held (the car no longer knows: unknown). An implausible one is counted.
        """
        body = signal.body
        if body is None:
            return False
        spec = BY_CODE.get(signal.code)
        held = vehicle.signals.get(signal.code)
        if (held is None or held.body is None) and spec and not carries_value(spec, body):
            return True
        if not self._plausible(signal.code, body):
            vehicle.rejected[signal.code] = vehicle.rejected.get(signal.code, 0) + 1
            return True
        return False

    def apply_error(self, event: VehicleError) -> Changes:
        """Apply a VEHICLE_ERROR: open or clear each listed error.

        An open error that names signals makes those signals unavailable (a transient one,
        asleep or unreachable, only marks the data stale); RESOLVED clears it.
        """
        if self.seen(event.event_id):
            return self._duplicate(event.vehicle)
        self._remember(event.event_id)
        vehicle, new_vehicle, info_changed = self._vehicle(event.vehicle)
        blocked_before = dict(vehicle.blocked)
        errors_before = dict(vehicle.errors)
        for item in event.errors:
            key = (item.type, item.code)
            if item.resolved:
                vehicle.errors.pop(key, None)
                for code in [code for code, by in vehicle.blocked.items() if by == key]:
                    # Another open error may name the same signal: it keeps it blocked.
                    if (still := vehicle.blocking_error(code)) is not None:
                        vehicle.blocked[code] = still
                    else:
                        del vehicle.blocked[code]
                continue
            vehicle.errors[key] = item
            if item.code not in TRANSIENT_ERRORS:
                vehicle.blocked.update(dict.fromkeys(item.signals, key))
        changed = {
            code
            for code in blocked_before.keys() | vehicle.blocked.keys()
            if blocked_before.get(code) != vehicle.blocked.get(code)
        }
        return Changes(
            vehicle=vehicle,
            new_vehicle=new_vehicle,
            info_changed=info_changed,
            signals=frozenset(changed),
            errors_changed=errors_before != vehicle.errors,
        )


def _apply_signal(
    state: SignalState, signal: Signal, delivered_at: int | None, now_ms: int
) -> bool:
    """Fold one delivered signal into its state; return whether value or error changed."""
    time = ordering_time(signal.oem_updated_at, signal.retrieved_at, delivered_at, now_ms)
    if time < state.newest_seen_at:
        return False  # older than what is held: out of order, never shown
    if signal.error is not None:
        # Not counted as seen: the value that comes back after it is rarely newer than its
        # delivery.
        if state.error == signal.error:
            return False
        state.error = signal.error
        return True
    state.newest_seen_at = time
    error_cleared = state.error is not None
    state.error = None
    if signal.body == state.body:
        return error_cleared
    state.body = signal.body
    state.recorded_at = signal.oem_updated_at
    state.recorded_as = None
    state.retrieved_at = signal.retrieved_at or delivered_at
    return True
