"""Smartcar's delivery envelope: a decoded body read into a typed, immutable event.

Plain Python with no Home Assistant imports, so every rule here is tested on its own.
The reading is deliberately tolerant: Smartcar's documentation and its live traffic
disagree on where triggers live, which timestamp names are used and whether ``status`` is
present (PROTOCOL.md sections 4-6), so every variant seen anywhere is accepted. Unknown
fields are ignored and unknown signals are kept; nothing unexpected is fatal except a body
that is not a JSON object (json_body.py) or an event without a vehicle. Signatures and the
VERIFY answer are signatures.py's; times and their ordering rule are timestamps.py's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Self

from .json_body import JSONObject, ProtocolError, as_object
from .timestamps import parse_timestamp

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

FIRST_DELIVERY: Final = "FIRST_DELIVERY"
# A signal's status in error; a successful one says SUCCESS, or nothing (live deliveries).
_FAILED: Final = ("ERROR", "UNAVAILABLE")
# What Home Assistant's JSON (orjson) can write, in storage and in /api/states: integers of
# 64 bits (signed or not) and nesting of 255 levels. A Smartcar body nests 3 levels deep.
_INT_RANGE: Final = range(-(2**63), 2**64)
MAX_BODY_DEPTH: Final = 16
# A vehicle's model year as the device shows it; anything else is no year.
_MODEL_YEARS: Final = range(1900, 2200)
# Home Assistant's limit for a state, kept for every text the integration shows or names
# a vehicle with.
MAX_TEXT_LENGTH: Final = 255
# The text fields of a vehicle error's entry, named as VehicleErrorItem and storage name them.
ERROR_TEXT_FIELDS: Final = (
    "type",
    "code",
    "state",
    "description",
    "suggested_user_message",
    "doc_url",
    "resolution",
)


# --- Events ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SignalError:
    """Why Smartcar could not deliver one signal (``COMPATIBILITY``, ``PERMISSION``...)."""

    type: str | None
    code: str | None


@dataclass(frozen=True, slots=True)
class Signal:
    """One signal of a VEHICLE_STATE delivery, read with ``read_signal``.

    ``body`` is the signal's value object as delivered (``None`` when in error).
    Timestamps are milliseconds since the epoch; ``retrieved_at`` reads either
    ``retrievedAt`` or ``fetchedAt``. A timestamp of 0 (seen on static attributes)
    means unknown and is kept as ``None``.
    """

    code: str
    body: JSONObject | None
    error: SignalError | None
    oem_updated_at: int | None
    retrieved_at: int | None


@dataclass(frozen=True, slots=True)
class Trigger:
    """Why a delivery was sent: ``SIGNAL_UPDATED`` with a signal code, or ``FIRST_DELIVERY``."""

    type: str
    signal: str | None

    @property
    def name(self) -> str:
        """How diagnostics and the bus event name it: its signal code, else its type."""
        return self.signal or self.type


@dataclass(frozen=True, slots=True)
class VehicleInfo:
    """The vehicle an event is about."""

    id: str
    make: str | None
    model: str | None
    year: int | None


@dataclass(frozen=True, slots=True)
class VehicleState:
    """A VEHICLE_STATE delivery: every selected signal, plus what triggered it.

    ``signal_objects`` are the delivery's signal objects as decoded, not yet read. A
    delivery carries every selected signal and most repeat the report already held, so the
    fleet reads into a ``Signal`` (``read_signal``) only the others: the cost of a delivery
    follows what changed, not how many signals it carries.
    """

    event_id: str | None
    vehicle: VehicleInfo
    signal_objects: tuple[JSONObject, ...]
    triggers: tuple[Trigger, ...]
    delivered_at: int | None
    mode: str | None


@dataclass(frozen=True, slots=True)
class VehicleErrorItem:
    """One entry of a VEHICLE_ERROR's ``errors`` list (vehicle_errors.py says what it means)."""

    type: str | None
    code: str | None
    state: str | None
    description: str | None
    suggested_user_message: str | None
    doc_url: str | None
    resolution: str | None
    signals: tuple[str, ...]

    @classmethod
    def from_fields(cls, texts: Mapping[str, Any], signals: Iterable[str]) -> Self:
        """An entry from its ERROR_TEXT_FIELDS; anything but a non-empty text there is None.

        Both readings build an entry with it: Smartcar's entry and the stored one.
        """
        return cls(
            **{name: _str(texts.get(name)) for name in ERROR_TEXT_FIELDS}, signals=tuple(signals)
        )

    @property
    def resolved(self) -> bool:
        """Whether this entry announces that the error has cleared."""
        return self.state == "RESOLVED"


@dataclass(frozen=True, slots=True)
class VehicleError:
    """A VEHICLE_ERROR delivery."""

    event_id: str | None
    vehicle: VehicleInfo
    errors: tuple[VehicleErrorItem, ...]
    mode: str | None


@dataclass(frozen=True, slots=True)
class UnknownEvent:
    """A well-formed envelope of an event type this integration does not handle."""


type Event = VehicleState | VehicleError | UnknownEvent


def parse_event(document: JSONObject) -> Event:
    """Turn a signed, non-VERIFY envelope into a typed event."""
    event_type = document.get("eventType")
    if event_type not in ("VEHICLE_STATE", "VEHICLE_ERROR"):
        return UnknownEvent()
    event_id = _text(document.get("eventId"))
    meta = as_object(document.get("meta"))
    mode = _str(meta.get("mode"))
    data = as_object(document.get("data"))
    vehicle = _vehicle(document, data)
    if event_type == "VEHICLE_ERROR":
        return VehicleError(
            event_id=event_id,
            vehicle=vehicle,
            errors=tuple(
                _error_item(item) for item in _list(data.get("errors")) if isinstance(item, dict)
            ),
            mode=mode,
        )
    triggers = document.get("triggers")
    if triggers is None:
        triggers = data.get("triggers")
    return VehicleState(
        event_id=event_id,
        vehicle=vehicle,
        signal_objects=tuple(
            [item for item in _list(data.get("signals")) if isinstance(item, dict)]
        ),
        triggers=tuple(
            [trigger for item in _list(triggers) if (trigger := _trigger(item)) is not None]
        ),
        delivered_at=parse_timestamp(meta.get("deliveredAt")),
        mode=mode,
    )


# --- Signals and their times -------------------------------------------------------------


def read_signal(item: JSONObject) -> Signal | None:
    """Read one delivered signal object, in any of its shapes; ``None`` without a code."""
    code = _code_of(item)
    if code is None:
        return None
    body = item.get("body")
    status = as_object(item.get("status"))
    error: SignalError | None = None
    failed = signal_failed(item)
    if failed or not isinstance(body, dict):
        details = as_object(status.get("error"))
        # A missing body under status SUCCESS is unavailable, not an error of type "SUCCESS".
        error = SignalError(
            type=_str(details.get("type"))
            or (_str(status.get("value")) if failed else None)
            or "UNAVAILABLE",
            code=_str(details.get("code")),
        )
        body = None
    oem_updated_at, retrieved_at = signal_times(item)
    return Signal(code, body, error, oem_updated_at, retrieved_at)


def signal_failed(item: JSONObject) -> bool:
    """Whether a signal object's status says Smartcar could not deliver it."""
    status = item.get("status")
    return isinstance(status, dict) and status.get("value") in _FAILED


def signal_times(item: JSONObject) -> tuple[int | None, int | None]:
    """A signal object's ``oemUpdatedAt`` and ``retrievedAt`` (or ``fetchedAt``), in ms.

    ``oemUpdatedAt`` is when the car recorded the value; ``retrievedAt`` when Smartcar
    fetched it.
    """
    meta = as_object(item.get("meta"))
    retrieved_at = meta.get("retrievedAt")
    if retrieved_at is None:
        retrieved_at = meta.get("fetchedAt")
    return parse_timestamp(meta.get("oemUpdatedAt")), parse_timestamp(retrieved_at)


def holdable(value: Any) -> bool:
    """Whether a decoded value can be held: shown, and written by Home Assistant's JSON.

    A value that fails (an integer beyond 64 bits, nesting deeper than MAX_BODY_DEPTH)
    would make every later save of the values fail, and /api/states with it.
    """
    pending = [(value, 0)]  # a stack, not recursion
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict | list):
            if depth == MAX_BODY_DEPTH:
                return False
            children = item.values() if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children)
        elif isinstance(item, int) and item not in _INT_RANGE:
            return False
    return True


def signal_code(group: str, name: str) -> str:
    """The kebab-case code of a signal from its PascalCase group and name."""
    return f"{group}-{name}".lower()


# --- Helpers ---------------------------------------------------------------------------


def _vehicle(document: JSONObject, data: JSONObject) -> VehicleInfo:
    vehicle = as_object(data.get("vehicle"))
    vehicle_id = _str(vehicle.get("id")) or _str(document.get("vehicleId"))
    if not vehicle_id:
        raise ProtocolError("event without a vehicle id")
    if len(vehicle_id) > MAX_TEXT_LENGTH:
        raise ProtocolError("vehicle id too long")
    return VehicleInfo(
        id=vehicle_id,
        make=_text(vehicle.get("make")),
        model=_text(vehicle.get("model")),
        year=model_year(vehicle.get("year")),
    )


def model_year(value: Any) -> int | None:
    """A vehicle's model year, if ``value`` can be one."""
    return value if isinstance(value, int) and value in _MODEL_YEARS else None


def _trigger(item: Any) -> Trigger | None:
    if not isinstance(item, dict):
        return None
    # Shape A: {"code": ...}; B: {"type": ..., "signal": {...}}; C: "signal": "Group.Name".
    if (code := _str(item.get("code"))) is not None:
        if code == FIRST_DELIVERY:
            return Trigger(type=FIRST_DELIVERY, signal=None)
        return Trigger(type="SIGNAL_UPDATED", signal=code.lower())
    trigger_type = _str(item.get("type")) or "SIGNAL_UPDATED"
    signal = item.get("signal")
    if isinstance(signal, dict):
        return Trigger(type=trigger_type, signal=_code_of(signal))
    if isinstance(signal, str):
        return Trigger(type=trigger_type, signal=_dotted_code(signal))
    return Trigger(type=trigger_type, signal=None)


def _error_item(item: JSONObject) -> VehicleErrorItem:
    codes: list[str] = []
    for signal in _list(item.get("signals")):
        if isinstance(signal, str):
            code = _dotted_code(signal)
        elif isinstance(signal, dict):
            code = _code_of(signal)
        else:
            code = None
        if code is not None:
            codes.append(code)
    # Smartcar names two fields in camelCase and gives the resolution as an object.
    texts = {
        **item,
        "suggested_user_message": item.get("suggestedUserMessage"),
        "doc_url": item.get("docURL"),
        "resolution": as_object(item.get("resolution")).get("type"),
    }
    return VehicleErrorItem.from_fields(texts, codes)


def _code_of(signal: JSONObject) -> str | None:
    """A signal's code, from ``code`` or else from its group and name."""
    if code := _str(signal.get("code")):
        return code.lower()
    group, name = _str(signal.get("group")), _str(signal.get("name"))
    if group and name:
        return signal_code(group, name)
    return None


def _dotted_code(value: str) -> str | None:
    """``"Odometer.TraveledDistance"`` → ``"odometer-traveleddistance"``; codes pass through."""
    group, dot, name = value.partition(".")
    if dot and group and name:
        return signal_code(group, name)
    return value.lower() or None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _text(value: Any) -> str | None:
    """A non-empty text short enough to name a device or an event by."""
    return value if isinstance(value, str) and 0 < len(value) <= MAX_TEXT_LENGTH else None
