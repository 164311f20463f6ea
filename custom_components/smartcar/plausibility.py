"""Whether a delivered body could be true, and whether it carries a value at all.

Plain Python with no Home Assistant imports. The catalog declares each signal's roles and
ranges; this module checks a body against them: every number an entity shows lies in its
quantity's plausible range, each text fits a state, a position is on Earth. The fleet
refuses a body that is not (150 %, latitude 1e6, a negative odometer), and skips one that
carries nothing any role reads (``{"value": null}``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .catalog import BY_CODE
from .protocol import MAX_TEXT_LENGTH, holdable
from .roles import Number, Position, Text
from .signals import VALUE, plausible_number

if TYPE_CHECKING:
    from .catalog import SignalSpec
    from .roles import Body, Role


def plausible_body(spec: SignalSpec, body: Body) -> bool:
    """Whether every number, text and position ``spec``'s roles read from ``body`` could be."""
    for role in spec.sensors:
        if isinstance(role, Number):
            if not plausible_number(body, role.read, spec.unit or "", role.plausible):
                return False
        elif isinstance(role, Text) and not _fits_a_state(role.read(body)):
            return False
    if spec.device_field is not None and not _fits_a_state(VALUE(body)):
        return False
    return spec.tracker is None or _on_earth(body, spec.tracker)


def carries_value(spec: SignalSpec, body: Body) -> bool:
    """Whether any of ``spec``'s roles reads something from ``body`` (not all ``null``).

    Cars send ``{"value": null}`` for what they do not report: an entity made from it
    would be stuck at "unknown" until a real value comes, so such a body is no value.
    """
    roles: list[Role] = [*spec.sensors, *spec.flags, *spec.controls]
    if spec.tracker is not None:
        roles.append(spec.tracker)
    return any(reads_a_value(role, body) for role in roles) or (
        spec.device_field is not None and VALUE(body) is not None
    )


def reads_a_value(role: Role, body: Body) -> bool:
    """Whether ``role`` reads something from ``body``: its entity would not be "unknown"."""
    if isinstance(role, Position):
        return any(body.get(name) is not None for name in ("latitude", "longitude"))
    return role.read(body) is not None


def _fits_a_state(value: Any) -> bool:
    """A text no longer than a state may be (a value that is no text shows nothing)."""
    return not isinstance(value, str) or len(value) <= MAX_TEXT_LENGTH


def _on_earth(body: Body, position: Position) -> bool:
    """Latitude and longitude in their ranges, and attributes a state can carry."""
    for name, limit in (("latitude", 90), ("longitude", 180)):
        degrees = body.get(name)
        if degrees is not None and not (
            isinstance(degrees, int | float)
            and not isinstance(degrees, bool)
            and -limit <= degrees <= limit
        ):
            return False
    return all(
        isinstance(value := body.get(field), bool | int | float | None)
        or (isinstance(value, str) and _fits_a_state(value))
        for field in position.attributes
    )


def plausible(code: str, body: Body) -> bool:
    """Whether a delivered body of ``code`` could be true, and can be held at all.

    A signal the catalog does not know only has to be one that can be held; plausibility.py
    checks the others against their roles (plausible_body).
    """
    if not holdable(body):
        return False
    spec = BY_CODE.get(code)
    return spec is None or plausible_body(spec, body)
