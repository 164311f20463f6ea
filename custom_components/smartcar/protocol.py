"""Smartcar's webhook wire protocol: signatures, VERIFY answers and event parsing.

Plain Python with no Home Assistant imports, so every rule here is tested on its own.
The parser is deliberately tolerant: Smartcar's documentation and its live traffic disagree
on where triggers live, which timestamp names are used and whether ``status`` is present
(PROTOCOL.md sections 4-6), so every variant seen anywhere is accepted. Unknown fields are
ignored and unknown signals are kept; nothing unexpected is fatal except a body that is not
a JSON object. A body is decoded once, into plain Python objects (msgspec, untyped: integers
of any size stay exact), and read tolerantly from there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
import hashlib
import hmac
import math
from typing import Any, Final

import msgspec

SIGNATURE_HEADER: Final = "SC-Signature"
MAX_CHALLENGE_LENGTH: Final = 256
FIRST_DELIVERY: Final = "FIRST_DELIVERY"
# A signal's status in error; a successful one says SUCCESS, or nothing (live deliveries).
_FAILED: Final = ("ERROR", "UNAVAILABLE")
# Times outside reason are unknown: none before 2000 (no connected car reported earlier;
# a time in seconds, read as milliseconds, falls here), none after 9999 (a time in
# microseconds falls there; Python's datetime ends with that year).
EARLIEST_TIME_MS: Final = 946_684_800_000
LATEST_TIME_MS: Final = 253_402_300_799_000
# A car's clock may run a little ahead; a time further ahead than this orders nothing: it
# would make every later real value look older, and hide it, for good.
FUTURE_TOLERANCE_MS: Final = 10 * 60 * 1000
# What Home Assistant's JSON (orjson) can write, in storage and in /api/states: integers of
# 64 bits (signed or not) and nesting of 255 levels. A Smartcar body nests 3 levels deep.
_INT_RANGE: Final = range(-(2**63), 2**64)
MAX_BODY_DEPTH: Final = 16
# A vehicle's model year as the device shows it; anything else is no year.
_MODEL_YEARS: Final = range(1900, 2200)
# Home Assistant's limit for a state, kept for every text the integration shows or names
# a vehicle with.
MAX_TEXT_LENGTH: Final = 255

type JSONObject = dict[str, Any]


class ProtocolError(ValueError):
    """A request body that cannot be a Smartcar event; ``reason`` is safe to show."""

    def __init__(self, reason: str) -> None:
        """Keep the short, data-free reason for the answer and diagnostics."""
        super().__init__(reason)
        self.reason = reason


# --- Signatures ------------------------------------------------------------------------


def smartcar_hmac(token: str, message: bytes) -> str:
    """HMAC-SHA256 of ``message`` keyed with the Application Management Token, as hex."""
    return hmac.new(token.encode(), message, hashlib.sha256).hexdigest()


def signature_matches(token: str, body: bytes, header: str | None) -> bool:
    """Check ``SC-Signature`` against the raw body bytes, in constant time.

    The body is hashed exactly as received: re-serialised JSON never matches the wire bytes.
    A header with non-ASCII characters cannot be a hex digest and fails (``compare_digest``
    would raise on it instead).
    """
    if not header:
        return False
    candidate = header.strip().lower()
    if not candidate.isascii():
        return False
    expected = smartcar_hmac(token, body)
    return hmac.compare_digest(expected, candidate)


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


# --- Bodies ----------------------------------------------------------------------------

_decode: Final = msgspec.json.Decoder().decode


class _BeyondDouble:
    """Stands for a JSON number no double can hold (``1e400``) in a body that has one."""


_BEYOND_DOUBLE: Final = _BeyondDouble()


def _float_or_beyond(text: str) -> float | _BeyondDouble:
    number = float(text)
    return number if math.isfinite(number) else _BEYOND_DOUBLE


_decode_marking_beyond: Final = msgspec.json.Decoder(float_hook=_float_or_beyond).decode


def load_object(body: bytes) -> JSONObject:
    """Decode a request body that must be one JSON object, into plain Python objects.

    Integers of any size are kept exactly. A number beyond a double's range makes the one
    signal whose body holds it unreadable; anywhere else it makes the body no JSON.
    """
    try:
        document = _decode(body)
    except msgspec.ValidationError:
        # The only valid JSON an untyped decode refuses: a number beyond a double's range,
        # or an integer too long for Python to read.
        document = _without_signals_beyond_double(body)
    except (msgspec.DecodeError, UnicodeDecodeError) as err:
        # msgspec reports bytes that are not UTF-8 inside a string as UnicodeDecodeError.
        raise ProtocolError("body is not JSON") from err
    except RecursionError as err:
        raise ProtocolError("body nested too deeply") from err
    if not isinstance(document, dict):
        raise ProtocolError("body is not a JSON object")
    return document


def _without_signals_beyond_double(body: bytes) -> Any:
    """The rare body with a number beyond a double's range, less the signals that hold one.

    Decoded a second time, with such numbers marked: a signal whose body holds one is
    dropped (the rest of the delivery is kept); one anywhere else refuses the body, as does
    an integer too long to read.
    """
    try:
        document = _decode_marking_beyond(body)
    except msgspec.ValidationError as err:
        raise ProtocolError("body is not JSON") from err
    except RecursionError as err:
        raise ProtocolError("body nested too deeply") from err
    data = _obj(document.get("data")) if isinstance(document, dict) else {}
    if isinstance(signals := data.get("signals"), list):
        data["signals"] = [
            item
            for item in signals
            if not (isinstance(item, dict) and _holds_beyond_double(item.get("body")))
        ]
    if _holds_beyond_double(document):
        raise ProtocolError("body is not JSON")
    return document


def _holds_beyond_double(value: Any) -> bool:
    pending = [value]  # a stack, not recursion: the body may nest as deep as it is long
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        elif item is _BEYOND_DOUBLE:
            return True
    return False


def parse_verify(document: JSONObject) -> str | None:
    """The challenge of a VERIFY request (current or legacy shape); ``None`` for any other.

    Raises ProtocolError for a VERIFY whose challenge is missing, too long, or could be a
    JSON document: the answer is an HMAC with the same key as delivery signatures, so
    signing an attacker's JSON would forge a valid ``SC-Signature`` (PROTOCOL.md §2).
    """
    event_name = document.get("eventName")
    if document.get("eventType") == "VERIFY":
        challenge = _obj(document.get("data")).get("challenge")
    elif isinstance(event_name, str) and event_name.lower() == "verify":
        challenge = _obj(document.get("payload")).get("challenge")
    else:
        return None
    if not isinstance(challenge, str) or not challenge:
        raise ProtocolError("VERIFY without a challenge")
    if len(challenge) > MAX_CHALLENGE_LENGTH:
        raise ProtocolError("challenge too long")
    if challenge.lstrip()[:1] in ("{", "[") or '"eventType"' in challenge:
        raise ProtocolError("challenge looks like a JSON document")
    return challenge


def verify_answer(token: str, challenge: str) -> JSONObject:
    """The JSON body that proves to Smartcar that this receiver holds the token."""
    return {"challenge": smartcar_hmac(token, challenge.encode())}


def parse_event(document: JSONObject) -> Event:
    """Turn a signed, non-VERIFY envelope into a typed event."""
    event_type = document.get("eventType")
    if event_type not in ("VEHICLE_STATE", "VEHICLE_ERROR"):
        return UnknownEvent()
    event_id = _text(document.get("eventId"))
    meta = _obj(document.get("meta"))
    mode = _str(meta.get("mode"))
    data = _obj(document.get("data"))
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
    status = _obj(item.get("status"))
    error: SignalError | None = None
    failed = signal_failed(item)
    if failed or not isinstance(body, dict):
        details = _obj(status.get("error"))
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


def recorded_at(item: JSONObject) -> int | None:
    """When the car recorded a signal object's value: its ``oemUpdatedAt``, in ms."""
    meta = item.get("meta")
    return parse_timestamp(meta.get("oemUpdatedAt")) if isinstance(meta, dict) else None


def signal_times(item: JSONObject) -> tuple[int | None, int | None]:
    """A signal object's ``oemUpdatedAt`` and ``retrievedAt`` (or ``fetchedAt``), in ms."""
    meta = _obj(item.get("meta"))
    retrieved_at = meta.get("retrievedAt")
    if retrieved_at is None:
        retrieved_at = meta.get("fetchedAt")
    return recorded_at(item), parse_timestamp(retrieved_at)


def ordering_time(
    oem_updated_at: int | None, retrieved_at: int | None, delivered_at: int | None, now_ms: int
) -> int:
    """The time that orders values of one signal; 0 when none is known.

    The car maker's time, else Smartcar's, else the delivery's: a value is never replaced
    by one the car recorded earlier, whenever Smartcar fetched or delivered it. A time
    further in the future than FUTURE_TOLERANCE_MS is not trusted, and the next one counts.
    """
    for moment in (oem_updated_at, retrieved_at, delivered_at):
        if (trusted := trusted_time(moment, now_ms)) is not None:
            return trusted
    return 0


def trusted_time(moment: int | None, now_ms: int) -> int | None:
    """``moment`` unless it lies further in the future than FUTURE_TOLERANCE_MS."""
    return moment if moment is not None and moment <= now_ms + FUTURE_TOLERANCE_MS else None


def parse_timestamp(value: Any) -> int | None:
    """Milliseconds since the epoch from an integer or an ISO-8601 string; else unknown.

    An ISO string without an offset is read as UTC, never in the host's local time zone.
    0 (seen on static attributes) and any time before 2000 or after 9999 are unknown.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        milliseconds = value  # the live shape
    elif isinstance(value, float):
        milliseconds = int(value) if math.isfinite(value) else 0
    elif isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value)
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=UTC)
            milliseconds = int(parsed.timestamp() * 1000)
        except (ValueError, OverflowError):  # no date, or year 1 less a day in UTC
            return None
    else:
        return None
    return milliseconds if EARLIEST_TIME_MS <= milliseconds <= LATEST_TIME_MS else None


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
    vehicle = _obj(data.get("vehicle"))
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
    return VehicleErrorItem(
        type=_str(item.get("type")),
        code=_str(item.get("code")),
        state=_str(item.get("state")),
        description=_str(item.get("description")),
        suggested_user_message=_str(item.get("suggestedUserMessage")),
        doc_url=_str(item.get("docURL")),
        resolution=_str(_obj(item.get("resolution")).get("type")),
        signals=tuple(codes),
    )


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


def _obj(value: Any) -> JSONObject:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _text(value: Any) -> str | None:
    """A non-empty text short enough to name a device or an event by."""
    return value if isinstance(value, str) and 0 < len(value) <= MAX_TEXT_LENGTH else None
