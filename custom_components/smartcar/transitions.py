"""Transitions worth automating on: plugged in, charging started, door opened, arrived home.

Plain Python with no Home Assistant imports. A transition fires when a signal's value
changes from one known value to another in the way the table says; the first value ever
seen and a repeat of the same value fire nothing. Device triggers, the event entity and the
bus event all come from this one table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

type Body = Mapping[str, Any]


def _value(body: Body) -> Any:
    return body.get("value")


def _open_positions(body: Body) -> frozenset[tuple[Any, Any]] | None:
    """Where doors (or windows) are open; ``None`` if the body carries no open flags."""
    values = body.get("values")
    if not isinstance(values, list):
        return None
    flags = [
        item for item in values if isinstance(item, dict) and isinstance(item.get("isOpen"), bool)
    ]
    if not flags:
        return None
    return frozenset((item.get("row"), item.get("column")) for item in flags if item["isOpen"])


def _became(read: Callable[[Body], Any], value: Any) -> Callable[[Body, Body], bool]:
    """Fires when the read value turns into ``value`` from another known value."""

    def check(old: Body, new: Body) -> bool:
        before, after = read(old), read(new)
        return before is not None and before != value and after == value

    return check


def _opened(old: Body, new: Body) -> bool:
    """Fires when one more door (or window) is open than before."""
    before, after = _open_positions(old), _open_positions(new)
    return before is not None and after is not None and bool(after - before)


def _all_closed(old: Body, new: Body) -> bool:
    """Fires when the last open door (or window) closes."""
    before, after = _open_positions(old), _open_positions(new)
    return bool(before) and after == frozenset()


def _is_open(body: Body) -> Any:
    return body.get("isOpen")


@dataclass(frozen=True, slots=True)
class Transition:
    """One kind of change of one signal, named as automations see it."""

    type: str
    signal: str
    fires: Callable[[Body, Body], bool]


TRANSITIONS: Final[tuple[Transition, ...]] = (
    Transition("plugged_in", "charge-ischargingcableconnected", _became(_value, value=True)),
    Transition("unplugged", "charge-ischargingcableconnected", _became(_value, value=False)),
    Transition("charging_started", "charge-ischarging", _became(_value, value=True)),
    Transition("charging_stopped", "charge-ischarging", _became(_value, value=False)),
    Transition(
        "charge_complete", "charge-detailedchargingstatus", _became(_value, "FULLY_CHARGED")
    ),
    Transition("locked", "closure-islocked", _became(_value, value=True)),
    Transition("unlocked", "closure-islocked", _became(_value, value=False)),
    Transition("door_opened", "closure-doors", _opened),
    Transition("doors_closed", "closure-doors", _all_closed),
    Transition("trunk_opened", "closure-reartrunk", _became(_is_open, value=True)),
    Transition("window_opened", "closure-windows", _opened),
    Transition("arrived_home", "location-isathome", _became(_value, value=True)),
    Transition("left_home", "location-isathome", _became(_value, value=False)),
)
TRANSITION_TYPES: Final = tuple(transition.type for transition in TRANSITIONS)
TRANSITION_SIGNALS: Final = frozenset(transition.signal for transition in TRANSITIONS)


def detect(changes: Iterable[tuple[str, Body | None, Body | None]]) -> list[str]:
    """The transitions in a set of ``(signal, old body, new body)`` changes, in table order."""
    by_signal = {
        code: (old, new) for code, old, new in changes if old is not None and new is not None
    }
    return [
        transition.type
        for transition in TRANSITIONS
        if (pair := by_signal.get(transition.signal)) is not None and transition.fires(*pair)
    ]


def offered(delivered: Iterable[str]) -> list[str]:
    """The transitions a vehicle can fire, given the signals it delivers."""
    codes = set(delivered)
    return [transition.type for transition in TRANSITIONS if transition.signal in codes]
