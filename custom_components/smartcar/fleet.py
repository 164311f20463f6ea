"""What the integration knows about each vehicle, and how a delivery changes it.

Plain Python with no Home Assistant imports. The fleet de-duplicates events, keeps the newest
value per vehicle and signal, and reports exactly which signals changed, so that only the
entities of those signals write state. It converts itself to and from a JSON-safe dict for
Home Assistant's storage.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from .protocol import (
    Signal,
    SignalError,
    VehicleError,
    VehicleErrorItem,
    VehicleInfo,
    VehicleState,
    read_signal,
    success_time,
)

if TYPE_CHECKING:
    from msgspec import Raw

SEEN_EVENTS_LIMIT: Final = 4096
# The newest event ids kept in storage with the values, so that Smartcar's retry of an
# event applied just before a restart (it retries for about 3 minutes: 25, 50 and 100 s)
# is still known as a duplicate: at 100 vehicles delivering every minute, that window.
STORED_EVENTS_LIMIT: Final = 512
STORAGE_SIGNAL_KEYS: Final = ("body", "recorded_at", "retrieved_at", "stamp")
# Vehicle errors that only say the car is out of reach for now: the data goes stale, but the
# values shown stay the last known ones instead of turning unavailable.
TRANSIENT_ERRORS: Final = frozenset({"ASLEEP", "UNREACHABLE"})

type ErrorKey = tuple[str | None, str | None]


@dataclass(slots=True)
class SignalState:
    """The latest accepted value of one signal of one vehicle.

    ``recorded_at`` and ``retrieved_at`` belong to the value: they are the car maker's and
    Smartcar's times for the delivery that first carried it, so a delivery that repeats
    the same value changes nothing an entity shows. ``stamp`` is the newest time of a value
    seen for the signal and only guards ordering: older data never replaces newer data. An
    error does not move it: errors carry no car maker's time, only the delivery's, and the
    value that follows an error was usually recorded by the car before that delivery.

    ``body_text`` is the JSON text that last delivered ``body`` (never stored: after a
    restart the first delivery is read in full). A delivery whose signal carries the same
    text repeats the value, which is then settled without decoding it.
    """

    body: dict[str, Any] | None = None
    error: SignalError | None = None
    recorded_at: int | None = None
    retrieved_at: int | None = None
    stamp: int = 0
    body_text: Raw | None = field(default=None, compare=False, repr=False)

    @property
    def has_value(self) -> bool:
        """Whether a value is held and no error currently stands in its way."""
        return self.body is not None and self.error is None


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
class Applied:
    """What one accepted event changed."""

    vehicle: Vehicle
    new_vehicle: bool = False
    info_changed: bool = False
    changed: frozenset[str] = frozenset()
    first_values: frozenset[str] = frozenset()
    previous: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    errors_changed: bool = False
    duplicate: bool = False


class Fleet:
    """All vehicles of one Smartcar application."""

    def __init__(self) -> None:
        """Start empty; ``load`` restores a stored fleet."""
        self.vehicles: dict[str, Vehicle] = {}
        self._seen: OrderedDict[str, None] = OrderedDict()

    def seen(self, event_id: str | None) -> bool:
        """Whether an event with this id was applied already (retries reuse the id)."""
        return event_id is not None and event_id in self._seen

    def _remember(self, event_id: str | None) -> None:
        if event_id is None:
            return
        self._seen[event_id] = None
        if len(self._seen) > SEEN_EVENTS_LIMIT:
            self._seen.popitem(last=False)

    def _duplicate(self, info: VehicleInfo) -> Applied:
        """A retry of an applied event changes nothing, even for a vehicle since removed."""
        vehicle = self.vehicles.get(info.id)
        return Applied(vehicle=Vehicle(id=info.id) if vehicle is None else vehicle, duplicate=True)

    def _vehicle(self, info: VehicleInfo) -> tuple[Vehicle, bool, bool]:
        vehicle = self.vehicles.get(info.id)
        if vehicle is None:
            vehicle = self.vehicles[info.id] = Vehicle(id=info.id)
            vehicle.update_info(info)
            return vehicle, True, True
        return vehicle, False, vehicle.update_info(info)

    def apply_state(self, event: VehicleState, now_ms: int) -> Applied:
        """Apply a VEHICLE_STATE; return the signals whose value or error changed."""
        if self.seen(event.event_id):
            return self._duplicate(event.vehicle)
        self._remember(event.event_id)
        vehicle, new_vehicle, info_changed = self._vehicle(event.vehicle)
        vehicle.last_delivery_at = now_ms
        changed: set[str] = set()
        first_values: set[str] = set()
        previous: dict[str, dict[str, Any] | None] = {}
        held = vehicle.signals
        blocked = vehicle.blocked
        delivered_at = event.delivered_at
        for item in event.signal_objects:
            code = item.code
            state = held.get(code)
            if (
                # Most signals of a delivery repeat the value held: only the time can move.
                state is not None
                and state.body_text == item.body
                and state.error is None
                and code not in blocked
                and (stamp := success_time(item)) is not None
            ):
                if (stamp := stamp or delivered_at or 0) > state.stamp:
                    state.stamp = stamp
                continue
            signal = read_signal(item)
            if signal is None:
                continue
            state = held.get(signal.code)
            if state is None:
                state = held[signal.code] = SignalState()
            old_body = state.body
            if _apply_signal(state, signal, item.body, delivered_at):
                changed.add(signal.code)
                previous[signal.code] = old_body
                if old_body is None and state.body is not None:
                    first_values.add(signal.code)
            # A fresh value outranks a vehicle error that named this signal.
            if signal.error is None and blocked.pop(signal.code, None) is not None:
                changed.add(signal.code)
        return Applied(
            vehicle=vehicle,
            new_vehicle=new_vehicle,
            info_changed=info_changed,
            changed=frozenset(changed),
            first_values=frozenset(first_values),
            previous=previous,
        )

    def apply_error(self, event: VehicleError) -> Applied:
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
        return Applied(
            vehicle=vehicle,
            new_vehicle=new_vehicle,
            info_changed=info_changed,
            changed=frozenset(changed),
            errors_changed=errors_before != vehicle.errors,
        )

    # --- Storage -----------------------------------------------------------------------

    def as_dict(self) -> dict[str, Any]:
        """A JSON-safe snapshot of every vehicle's values, for Home Assistant's storage."""
        return {
            "vehicles": {
                vehicle.id: {
                    "make": vehicle.make,
                    "model": vehicle.model,
                    "year": vehicle.year,
                    "last_delivery_at": vehicle.last_delivery_at,
                    "signals": {
                        code: _state_as_dict(state) for code, state in vehicle.signals.items()
                    },
                    "errors": [_error_as_dict(item) for item in vehicle.errors.values()],
                    "blocked": {code: list(key) for code, key in vehicle.blocked.items()},
                }
                for vehicle in self.vehicles.values()
            },
            "recent_events": list(self._seen)[-STORED_EVENTS_LIMIT:],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Fleet:
        """Rebuild a fleet from ``as_dict`` output; malformed parts are skipped."""
        fleet = cls()
        if not isinstance(data, dict):
            return fleet
        for event_id in _list(data.get("recent_events"))[-STORED_EVENTS_LIMIT:]:
            if isinstance(event_id, str):
                fleet._remember(event_id)
        for vehicle_id, stored in _dict(data.get("vehicles")).items():
            if isinstance(stored, dict):
                fleet.vehicles[vehicle_id] = _vehicle_from_dict(vehicle_id, stored)
        return fleet


def _vehicle_from_dict(vehicle_id: str, stored: dict[str, Any]) -> Vehicle:
    """One stored vehicle; malformed parts are skipped."""
    vehicle = Vehicle(
        id=vehicle_id,
        make=_text_or_none(stored.get("make")),
        model=_text_or_none(stored.get("model")),
        year=_int_or_none(stored.get("year")),
        last_delivery_at=_int_or_none(stored.get("last_delivery_at")),
    )
    for code, signal in _dict(stored.get("signals")).items():
        if isinstance(signal, dict):
            vehicle.signals[code] = _state_from_dict(signal)
    for error in _list(stored.get("errors")):
        if isinstance(error, dict):
            item = _error_from_dict(error)
            vehicle.errors[(item.type, item.code)] = item
    for code, key in _dict(stored.get("blocked")).items():
        if _is_error_key(key):
            vehicle.blocked[code] = (key[0], key[1])
    return vehicle


def ordering_time(signal: Signal, delivered_at: int | None) -> int:
    """The time that orders values of one signal: car maker's, else Smartcar's, else delivery."""
    return signal.oem_updated_at or signal.retrieved_at or delivered_at or 0


def _apply_signal(
    state: SignalState, signal: Signal, body_text: Raw, delivered_at: int | None
) -> bool:
    """Fold one delivered signal into its state; return whether value or error changed."""
    stamp = ordering_time(signal, delivered_at)
    if stamp < state.stamp:
        return False  # older than what is held: out of order, never shown
    if signal.error is not None:
        # Not stamped: the value that comes back after it is rarely newer than its delivery.
        if state.error == signal.error:
            return False
        state.error = signal.error
        return True
    state.stamp = stamp
    error_cleared = state.error is not None
    state.error = None
    if state.body_text != body_text:
        # Copied: a decoded text is a view into the whole request body, kept alive by it.
        state.body_text = body_text.copy()
    if signal.body == state.body:
        return error_cleared
    state.body = signal.body
    state.recorded_at = signal.oem_updated_at
    state.retrieved_at = signal.retrieved_at or delivered_at
    return True


def _state_as_dict(state: SignalState) -> dict[str, Any]:
    stored: dict[str, Any] = {key: getattr(state, key) for key in STORAGE_SIGNAL_KEYS}
    if state.error is not None:
        stored["error"] = {"type": state.error.type, "code": state.error.code}
    return stored


def _state_from_dict(stored: dict[str, Any]) -> SignalState:
    error = stored.get("error")
    return SignalState(
        body=stored.get("body") if isinstance(stored.get("body"), dict) else None,
        error=SignalError(
            type=_text_or_none(error.get("type")), code=_text_or_none(error.get("code"))
        )
        if isinstance(error, dict)
        else None,
        recorded_at=_int_or_none(stored.get("recorded_at")),
        retrieved_at=_int_or_none(stored.get("retrieved_at")),
        stamp=_int_or_none(stored.get("stamp")) or 0,
    )


_ERROR_FIELDS: Final = (
    "type",
    "code",
    "state",
    "description",
    "suggested_user_message",
    "doc_url",
    "resolution",
)


def _error_as_dict(item: VehicleErrorItem) -> dict[str, Any]:
    stored: dict[str, Any] = {name: getattr(item, name) for name in _ERROR_FIELDS}
    stored["signals"] = list(item.signals)
    return stored


def _error_from_dict(stored: dict[str, Any]) -> VehicleErrorItem:
    values = {name: _text_or_none(stored.get(name)) for name in _ERROR_FIELDS}
    signals = stored.get("signals")
    return VehicleErrorItem(
        **values,
        signals=tuple(code for code in signals if isinstance(code, str))
        if isinstance(signals, list)
        else (),
    )


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _is_error_key(value: Any) -> bool:
    """Whether a stored blocked entry is a ``[type, code]`` pair of texts or nulls."""
    return (
        isinstance(value, list)
        and len(value) == 2  # noqa: PLR2004 (type, code)
        and all(part is None or isinstance(part, str) for part in value)
    )
