"""Transitions worth automating on: plugged in, charging started, door opened, arrived home.

Plain Python with no Home Assistant imports. Each catalog entry names its signal's
transitions (roles.py says when each kind fires); device triggers, the event entity and the
bus event all come from this one table, in catalog order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from .catalog import SIGNALS

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .roles import Body

TRANSITIONS: Final = tuple(
    (spec.code, transition) for spec in SIGNALS for transition in spec.transitions
)
TRANSITION_TYPES: Final = tuple(transition.type for _, transition in TRANSITIONS)
TRANSITION_SIGNALS: Final = frozenset(code for code, _ in TRANSITIONS)


def detect(changes: Iterable[tuple[str, Body | None, Body | None]]) -> list[str]:
    """The transitions in a set of ``(signal, old body, new body)`` changes, in table order."""
    by_signal = {
        code: (old, new) for code, old, new in changes if old is not None and new is not None
    }
    return [
        transition.type
        for code, transition in TRANSITIONS
        if (pair := by_signal.get(code)) is not None and transition.fires(*pair)
    ]


def offered(delivered: Iterable[str]) -> list[str]:
    """The transitions a vehicle can fire, given the signals it delivers."""
    codes = set(delivered)
    return [transition.type for code, transition in TRANSITIONS if code in codes]
