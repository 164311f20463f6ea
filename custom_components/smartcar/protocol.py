"""Smartcar's webhook wire protocol: signatures, VERIFY answers and event parsing.

Plain Python with no Home Assistant imports, so every rule here is tested on its own.
The parser is deliberately tolerant: Smartcar's documentation and its live traffic disagree
on where triggers live, which timestamp names are used and whether ``status`` is present
(PROTOCOL.md sections 4-6), so every variant seen anywhere is accepted. Unknown fields are
ignored and unknown signals are kept; nothing unexpected is fatal except a body that is not
a JSON object.
"""

from __future__ import annotations

from datetime import UTC, datetime
import hashlib
import hmac
from typing import Annotated, Any, Final, NamedTuple

import msgspec

SIGNATURE_HEADER: Final = "SC-Signature"
MAX_CHALLENGE_LENGTH: Final = 256
FIRST_DELIVERY: Final = "FIRST_DELIVERY"
# A signal's status on success, where it has one (live deliveries omit it).
_SUCCESS: Final = {"value": "SUCCESS"}
MODE_TEST: Final = "TEST"
_NO_BODY: Final = msgspec.Raw()

type JSONObject = dict[str, Any]


class ProtocolError(ValueError):
    """A request body that cannot be a Smartcar event; ``reason`` is safe to show."""

    def __init__(self, reason: str) -> None:
        """Keep the short, data-free reason for the answer and diagnostics."""
        super().__init__(reason)
        self.reason = reason


# --- Documents -------------------------------------------------------------------------
#
# A request body is decoded once, straight into these shapes. Only the containers a
# delivery is walked through are typed; every other field is ``Any`` and read tolerantly
# later. A signal's ``body`` stays undecoded (``msgspec.Raw``, its exact JSON text): most
# signals of a delivery repeat the value already held, and comparing that text settles them
# without building a single dict. ``gc=False``: these hold decoded JSON only, never cycles.


class SignalMeta(msgspec.Struct, rename="camel", gc=False):
    """A signal object's timestamps, in whichever names and shapes they came."""

    oem_updated_at: Any = None
    retrieved_at: Any = None
    fetched_at: Any = None


class SignalObject(msgspec.Struct, gc=False):
    """One delivered signal object, unread: ``read_signal`` makes a ``Signal`` of it.

    Its ``code`` is text, as delivered. An object without one is decoded the second way
    (see ``load_object``), which takes the code from ``group`` and ``name`` or drops it.
    """

    code: Annotated[str, msgspec.Meta(min_length=1)]
    body: msgspec.Raw = _NO_BODY
    status: Any = None
    meta: SignalMeta | None = None


class Data(msgspec.Struct, gc=False):
    """An envelope's ``data``."""

    signals: list[SignalObject] = []
    vehicle: Any = None
    user: Any = None
    errors: Any = None
    triggers: Any = None
    challenge: Any = None


class Document(msgspec.Struct, rename="camel", gc=False):
    """A request body that is a JSON object: an event envelope, as far as it is one."""

    event_type: Any = None
    event_id: Any = None
    event_name: Any = None
    vehicle_id: Any = None
    data: Data = msgspec.field(default_factory=Data)
    triggers: Any = None
    meta: Any = None
    payload: Any = None


_decode_document = msgspec.json.Decoder(Document).decode
_decode_any = msgspec.json.Decoder().decode


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
#
# Frozen records, built for every delivery: msgspec Structs, which build several times faster
# than frozen dataclasses.


class Verify(msgspec.Struct, frozen=True):
    """A callback verification request (current ``data.challenge`` or legacy shape)."""

    challenge: str
    legacy: bool


class SignalError(NamedTuple):
    """Why Smartcar could not deliver one signal (``COMPATIBILITY``, ``PERMISSION``...)."""

    type: str | None
    code: str | None


class Signal(NamedTuple):
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


class Trigger(msgspec.Struct, frozen=True):
    """Why a delivery was sent: ``SIGNAL_UPDATED`` with a signal code, or ``FIRST_DELIVERY``."""

    type: str
    signal: str | None

    @property
    def name(self) -> str:
        """How diagnostics and the bus event name it: its signal code, else its type."""
        return self.signal or self.type


class VehicleInfo(msgspec.Struct, frozen=True):
    """The vehicle an event is about."""

    id: str
    make: str | None
    model: str | None
    year: int | None


class VehicleState(msgspec.Struct, frozen=True):
    """A VEHICLE_STATE delivery: every selected signal, plus what triggered it.

    ``signal_objects`` are the delivery's signal objects as they came, unread. A delivery
    carries every selected signal and most repeat the value already held, so the fleet reads
    into a ``Signal`` (``read_signal``) only those whose ``body`` text differs from it:
    the cost of a delivery follows what changed, not how many signals it carries.
    """

    event_id: str | None
    vehicle: VehicleInfo
    user_id: str | None
    signal_objects: tuple[SignalObject, ...]
    triggers: tuple[Trigger, ...]
    delivered_at: int | None
    mode: str | None

    @property
    def signals(self) -> tuple[Signal, ...]:
        """Every signal of the delivery, read (unreadable ones are skipped)."""
        return tuple(
            signal for item in self.signal_objects if (signal := read_signal(item)) is not None
        )

    @property
    def first_delivery(self) -> bool:
        """Whether this is the first delivery after the vehicle was subscribed."""
        return any(trigger.type == FIRST_DELIVERY for trigger in self.triggers)


class VehicleErrorItem(msgspec.Struct, frozen=True):
    """One entry of a VEHICLE_ERROR's ``errors`` list."""

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


class VehicleError(msgspec.Struct, frozen=True):
    """A VEHICLE_ERROR delivery."""

    event_id: str | None
    vehicle: VehicleInfo
    user_id: str | None
    errors: tuple[VehicleErrorItem, ...]
    delivered_at: int | None
    mode: str | None


class UnknownEvent(msgspec.Struct, frozen=True):
    """A well-formed envelope of an event type this integration does not handle."""

    event_id: str | None
    event_type: str | None
    mode: str | None


type Event = VehicleState | VehicleError | UnknownEvent


def load_object(body: bytes) -> Document:
    """Decode a request body that must be one JSON object.

    Containers of an unexpected type (``data.signals`` that is not a list, a signal that is
    not an object...) are dropped rather than refused: see ``_fitted``.
    """
    try:
        return _decode_document(body)
    except msgspec.ValidationError:
        pass  # JSON of another shape, or a number out of range: decoded again, untyped
    except (msgspec.DecodeError, UnicodeDecodeError) as err:
        # msgspec reports bytes that are not UTF-8 inside a string as UnicodeDecodeError.
        raise ProtocolError("body is not JSON") from err
    try:
        document = _decode_any(body)
    except msgspec.ValidationError as err:
        raise ProtocolError("body is not JSON") from err  # a number beyond a double's range
    if not isinstance(document, dict):
        raise ProtocolError("body is not a JSON object")
    return _decode_document(msgspec.json.encode(_fitted(document)))


def _fitted(document: JSONObject) -> JSONObject:
    """``document`` without the containers that do not have the shape ``Document`` needs.

    The rare path: a live delivery always fits. Dropping a misshapen part keeps the rest of
    the delivery, as the tolerant parser always did.
    """
    data = document.get("data")
    if not isinstance(data, dict):
        return {**document, "data": {}}
    signals = [
        {
            **item,
            "code": code,
            "meta": item["meta"] if isinstance(item.get("meta"), dict) else None,
        }
        for item in _list(data.get("signals"))
        if isinstance(item, dict) and (code := _code_of(item)) is not None
    ]
    return {**document, "data": {**data, "signals": signals}}


def parse_verify(document: Document) -> Verify | None:
    """Return the VERIFY request in ``document``, or ``None`` for any other event.

    Raises ProtocolError for a VERIFY whose challenge is missing, too long, or could be a
    JSON document: the answer is an HMAC with the same key as delivery signatures, so
    signing an attacker's JSON would forge a valid ``SC-Signature`` (PROTOCOL.md §2).
    """
    if document.event_type == "VERIFY":
        challenge, legacy = document.data.challenge, False
    elif isinstance(document.event_name, str) and document.event_name.lower() == "verify":
        challenge, legacy = _obj(document.payload).get("challenge"), True
    else:
        return None
    if not isinstance(challenge, str) or not challenge:
        raise ProtocolError("VERIFY without a challenge")
    if len(challenge) > MAX_CHALLENGE_LENGTH:
        raise ProtocolError("challenge too long")
    if challenge.lstrip()[:1] in ("{", "[") or '"eventType"' in challenge:
        raise ProtocolError("challenge looks like a JSON document")
    return Verify(challenge=challenge, legacy=legacy)


def verify_answer(token: str, verify: Verify) -> JSONObject:
    """The JSON body that proves to Smartcar that this receiver holds the token."""
    return {"challenge": smartcar_hmac(token, verify.challenge.encode())}


def parse_event(document: Document) -> Event:
    """Turn a signed, non-VERIFY envelope into a typed event."""
    event_type = _str(document.event_type)
    meta = _obj(document.meta)
    event_id = _str(document.event_id)
    mode = _str(meta.get("mode"))
    if event_type not in ("VEHICLE_STATE", "VEHICLE_ERROR"):
        return UnknownEvent(event_id=event_id, event_type=event_type, mode=mode)
    data = document.data
    vehicle = _vehicle(document, data)
    user_id = _str(_obj(data.user).get("id"))
    delivered_at = parse_timestamp(meta.get("deliveredAt"))
    if event_type == "VEHICLE_ERROR":
        return VehicleError(
            event_id=event_id,
            vehicle=vehicle,
            user_id=user_id,
            errors=tuple(
                _error_item(item) for item in _list(data.errors) if isinstance(item, dict)
            ),
            delivered_at=delivered_at,
            mode=mode,
        )
    triggers = document.triggers
    if triggers is None:
        triggers = data.triggers
    return VehicleState(
        event_id=event_id,
        vehicle=vehicle,
        user_id=user_id,
        signal_objects=tuple(data.signals),
        triggers=tuple(
            trigger for item in _list(triggers) if (trigger := _trigger(item)) is not None
        ),
        delivered_at=delivered_at,
        mode=mode,
    )


def parse_timestamp(value: Any) -> int | None:
    """Milliseconds since the epoch from an integer or an ISO-8601 string; 0 is unknown.

    An ISO string without an offset is read as UTC, never in the host's local time zone.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return int(value) or None
    if isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return int(parsed.timestamp() * 1000) or None
    return None


def read_signal(item: SignalObject) -> Signal | None:
    """Read one delivered signal object, in any of its shapes.

    ``None`` for one that cannot be read: without a code, or with a body that holds a number
    no double can (the body text is only decoded here, for a signal that changed).
    """
    try:
        body = _decode_any(item.body) if item.body else None
    except msgspec.ValidationError:
        return None  # a number beyond a double's range: unreadable, so it changes nothing
    status = _obj(item.status)
    error: SignalError | None = None
    failed = status.get("value") in ("ERROR", "UNAVAILABLE")
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
    return Signal(item.code.lower(), body, error, oem_updated_at, retrieved_at)


def success_time(item: SignalObject) -> int | None:
    """The newest known time of a signal object that succeeded; ``None`` if it did not.

    Car maker's time, else Smartcar's, 0 when it has neither. This is all a delivery that
    repeats a held value (the same ``body`` text) can change, and it runs for nearly every
    signal of every delivery: the live shape, an integer car maker's time, is settled first.
    """
    if item.status is not None and item.status != _SUCCESS:
        return None
    meta = item.meta
    if meta is None:
        return 0
    if type(oem_updated_at := meta.oem_updated_at) is int and oem_updated_at:
        return oem_updated_at
    oem_updated_at, retrieved_at = signal_times(item)
    return oem_updated_at or retrieved_at or 0


def signal_times(item: SignalObject) -> tuple[int | None, int | None]:
    """A signal object's ``oemUpdatedAt`` and ``retrievedAt`` (or ``fetchedAt``), in ms."""
    meta = item.meta
    if meta is None:
        return None, None
    oem_updated_at = meta.oem_updated_at
    retrieved_at = meta.retrieved_at
    if retrieved_at is None:
        retrieved_at = meta.fetched_at
    # Integers are the live shape: taken as they are, without the tolerant parse.
    return (
        oem_updated_at or None if type(oem_updated_at) is int else parse_timestamp(oem_updated_at),
        retrieved_at or None if type(retrieved_at) is int else parse_timestamp(retrieved_at),
    )


def signal_code(group: str, name: str) -> str:
    """The kebab-case code of a signal from its PascalCase group and name."""
    return f"{group}-{name}".lower()


# --- Helpers ---------------------------------------------------------------------------


def _vehicle(document: Document, data: Data) -> VehicleInfo:
    vehicle = _obj(data.vehicle)
    vehicle_id = _str(vehicle.get("id")) or _str(document.vehicle_id)
    if not vehicle_id:
        raise ProtocolError("event without a vehicle id")
    year = vehicle.get("year")
    return VehicleInfo(
        id=vehicle_id,
        make=_str(vehicle.get("make")),
        model=_str(vehicle.get("model")),
        year=year if isinstance(year, int) and not isinstance(year, bool) else None,
    )


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
