"""A request body decoded once into plain Python objects, or refused as no JSON object.

msgspec decodes untyped, so integers of any size stay exact; a number beyond a double's
range (``1e400``) costs only the signal whose body holds it. Plain Python with no Home
Assistant imports.
"""

from __future__ import annotations

import math
from typing import Any, Final

import msgspec

type JSONObject = dict[str, Any]


class ProtocolError(ValueError):
    """A request body that cannot be a Smartcar event; ``reason`` is safe to show."""

    def __init__(self, reason: str) -> None:
        """Keep the short, data-free reason for the answer and diagnostics."""
        super().__init__(reason)
        self.reason = reason


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


def as_object(value: Any) -> JSONObject:
    """``value`` if it is a JSON object, else an empty one: for reading tolerantly."""
    return value if isinstance(value, dict) else {}


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
    data = as_object(document.get("data")) if isinstance(document, dict) else {}
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
