"""What a signal can become: the entity roles and transition kinds catalog entries declare.

Plain Python with no Home Assistant imports. A role names an entity (its translation key)
and says how it reads the signal's body; device classes are Home Assistant's own strings
(``"battery"``, ``"door"``), which the platforms turn into their enums. A control is a role
that also acts on the car through Smartcar's commands. A transition kind says which change
of a body is worth automating on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final

from .signals import VALUE, Read, normalise_percent

if TYPE_CHECKING:
    from datetime import datetime

    from .api_commands import VehicleCommand

type Body = Mapping[str, Any]


def entity_unique_id(vehicle_id: str, key: str) -> str:
    """The unique id of a vehicle's entity: its key is a role's, or a vehicle entity's."""
    return f"{vehicle_id}_{key}"


class Statistics(StrEnum):
    """How Home Assistant keeps long-term statistics of a number (its state class).

    Only for quantities people graph over months: every such sensor adds a statistics row
    every 5 minutes and every hour to the recorder, whether its value moved or not.
    """

    MEASUREMENT = "measurement"
    TOTAL_INCREASING = "total_increasing"


@dataclass(frozen=True, slots=True)
class Role:
    """One entity made from a signal: its key (also its translation key) and where it reads.

    ``diagnostic`` puts it in the device page's diagnostic section; ``enabled`` is whether a
    new entity starts enabled.
    """

    key: str
    read: Read = field(default=VALUE, kw_only=True)
    diagnostic: bool = field(default=False, kw_only=True)
    enabled: bool = field(default=True, kw_only=True)


@dataclass(frozen=True, slots=True)
class Number(Role):
    """A sensor of a number in the signal's unit (the body's, else the catalog's default).

    ``plausible`` narrows the range its unit allows (signals.PLAUSIBLE_RANGES), in the
    catalog's unit: a number outside is not shown.
    """

    device_class: str | None = None
    precision: int | None = field(default=None, kw_only=True)
    statistics: Statistics | None = field(default=None, kw_only=True)
    plausible: tuple[float, float] | None = field(default=None, kw_only=True)


@dataclass(frozen=True, slots=True)
class Choice(Role):
    """An enum sensor: the read text lower-cased, shown only if it is one of ``options``."""

    options: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Text(Role):
    """A sensor showing a non-empty text as delivered."""


@dataclass(frozen=True, slots=True)
class Moment(Role):
    """A timestamp sensor computed from the body and the time its value was recorded (ms)."""

    compute: Callable[[Body, int | None], datetime | None]


def is_true(value: Any) -> bool | None:
    """On when the value is true; unknown unless it is a boolean."""
    return value if isinstance(value, bool) else None


def is_false(value: Any) -> bool | None:
    """On when the value is false: the lock device class is on when unlocked."""
    return not value if isinstance(value, bool) else None


def is_alert(value: Any) -> bool | None:
    """On when a diagnostics system reports ALERT."""
    return value == "ALERT" if isinstance(value, str) else None


@dataclass(frozen=True, slots=True)
class Flag(Role):
    """A binary sensor; ``on`` turns the read value into on, off or unknown."""

    device_class: str | None = None
    on: Callable[[Any], bool | None] = field(default=is_true, kw_only=True)


# Smartcar's grid of doors, windows and tires: row 0 is the front, column 0 the left.
POSITIONS: Final = (
    ("front_left", 0, 0),
    ("front_right", 0, 1),
    ("rear_left", 1, 0),
    ("rear_right", 1, 1),
)


def opening(key: str, device_class: str = "opening") -> Flag:
    """Whether a door, window, trunk or cover is open, from its ``isOpen``."""
    return Flag(key, device_class, read=Read("isOpen"))


def unlocked(key: str, row: int | None = None, column: int | None = None) -> Flag:
    """Whether a door, the trunk or the frunk is unlocked, from its ``isLocked``."""
    return Flag(key, "lock", read=Read("isLocked", row, column), on=is_false)


def open_by_position(prefix: str, device_class: str) -> tuple[Flag, ...]:
    """A flag per door (or window) position, and one for whether any is open."""
    return (
        *(
            Flag(f"{prefix}_{name}", device_class, read=Read("isOpen", row, column))
            for name, row, column in POSITIONS
        ),
        Flag(f"any_{prefix}_open", device_class, read=Read("isOpen", any_item=True)),
    )


@dataclass(frozen=True, slots=True)
class Position(Role):
    """The device tracker: latitude and longitude, with other body fields as attributes."""

    attributes: Mapping[str, str] = field(default_factory=dict)


type SensorRole = Number | Choice | Text | Moment


# --- Controls: entities that act on the car ---------------------------------------------


@dataclass(frozen=True, slots=True)
class Control(Role):
    """An entity that also acts on the car with Smartcar's commands.

    ``replaces`` is the key of the signal's read-only entity this one stands in for where
    it is offered (the ``lock`` binary sensor for the lock), so that the user sees one.
    """

    replaces: str | None = field(default=None, kw_only=True)

    def reading(self, body: Body) -> Any:
        """The control's value in a body: what its entity shows, what confirms a command."""
        return self.read(body)


@dataclass(frozen=True, slots=True)
class _TwoWay(Control):
    """A control of a true-or-false value: one command makes it true, the other false."""

    make_true: VehicleCommand
    make_false: VehicleCommand

    @property
    def commands(self) -> tuple[VehicleCommand, ...]:
        """Every command the entity sends."""
        return (self.make_true, self.make_false)

    def command(self, target: Any) -> VehicleCommand:
        """The command that brings the car to ``target``."""
        return self.make_true if target else self.make_false


@dataclass(frozen=True, slots=True)
class LockControl(_TwoWay):
    """A lock entity: true is locked; the commands lock and unlock."""


@dataclass(frozen=True, slots=True)
class SwitchControl(_TwoWay):
    """A switch entity: true is on; the commands turn it on and off."""


@dataclass(frozen=True, slots=True)
class NumberControl(Control):
    """A number entity: the read percentage, which ``set_to`` sets to a whole value of ``values``.

    Smartcar's one number command, the charge limit, takes a percentage; some cars report
    it as a fraction (0.9), read as the sensors read it (90).
    """

    set_to: VehicleCommand
    values: range

    def reading(self, body: Body) -> Any:
        """The percentage in a body (None if it holds no number)."""
        value = self.read(body)
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        return normalise_percent(value).value

    @property
    def commands(self) -> tuple[VehicleCommand, ...]:
        """Every command the entity sends."""
        return (self.set_to,)

    def command(self, target: Any) -> VehicleCommand:
        """The command that sets the car to ``target``."""
        return self.set_to


type ControlRole = LockControl | SwitchControl | NumberControl


# --- Transitions -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Transition:
    """One kind of change of a signal's body, named as automations see it (``type``).

    It fires only from one known value to another: the first value ever seen and a repeat
    of the same value fire nothing.
    """

    type: str
    fires: Callable[[Body, Body], bool]


def became(type_: str, value: Any, read: Read = VALUE) -> Transition:
    """Fires when the read value turns into ``value`` from another known value."""

    def fires(old: Body, new: Body) -> bool:
        before, after = read(old), read(new)
        return before is not None and before != value and after == value

    return Transition(type_, fires)


def _open_positions(body: Body) -> frozenset[tuple[Any, Any]] | None:
    """Where doors (or windows) are open; ``None`` if the body carries no open flags."""
    values = body.get("values")
    if not isinstance(values, list):
        return None
    flags = [
        item
        for item in values
        if isinstance(item, dict)
        and isinstance(item.get("isOpen"), bool)
        # A place is a row and a column number: an item with a list there is no door.
        and all(isinstance(item.get(axis), int | None) for axis in ("row", "column"))
    ]
    if not flags:
        return None
    return frozenset((item.get("row"), item.get("column")) for item in flags if item["isOpen"])


def one_more_open(type_: str) -> Transition:
    """Fires when one more door (or window) of a ``values[]`` list is open than before."""

    def fires(old: Body, new: Body) -> bool:
        before, after = _open_positions(old), _open_positions(new)
        return before is not None and after is not None and bool(after - before)

    return Transition(type_, fires)


def all_closed(type_: str) -> Transition:
    """Fires when the last open door (or window) of a ``values[]`` list closes."""

    def fires(old: Body, new: Body) -> bool:
        before, after = _open_positions(old), _open_positions(new)
        return bool(before) and after == frozenset()

    return Transition(type_, fires)
