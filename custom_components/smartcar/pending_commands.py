"""Commands whose outcome the car's signal has not shown yet (control.py sends them).

Smartcar's answer to a command (200 done, 202 still at it) carries no new state, so the
entity shows the commanded state as pending from the moment it is sent until the car's
signal shows it (a delivery, or a read), for PENDING_AT_MOST at most. CONFIRM_READ_AFTER
the answer, if nothing confirmed it yet, the one signal is read once (``confirm``). A newer
command to the same control replaces the older one's wait and read, so a burst of commands
costs one read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, Final

from homeassistant.core import callback
from homeassistant.helpers.event import async_call_later

from .control_log import Outcome
from .dispatch import Dispatcher

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine
    from datetime import datetime

    from homeassistant.core import CALLBACK_TYPE

    from .control_log import ControlLog
    from .roles import ControlRole
    from .runtime import SmartcarRuntime

# Smartcar says to confirm a command from the signals (a read or a delivery); how soon the
# signals it holds show the car's new state is not documented. The confirming read waits
# this long after the answer, unless a delivery confirmed the command first.
CONFIRM_READ_AFTER: Final = timedelta(seconds=30)
# The longest a commanded state shows as pending: Smartcar carries a command out for up to
# about 175 s (a 202 answer), and its delivery follows.
PENDING_AT_MOST: Final = timedelta(minutes=3)


@dataclass(slots=True)
class PendingCommand:
    """A command whose outcome the car's signal has not shown yet."""

    vehicle_id: str
    code: str
    role: ControlRole
    target: Any
    kind: str  # the command, as the log names it
    timers: list[CALLBACK_TYPE] = field(default_factory=list)


class PendingCommands:
    """The pending commands of one entry's controls, one per vehicle and control at most."""

    def __init__(
        self,
        runtime: SmartcarRuntime,
        confirm: Callable[[PendingCommand], Coroutine[Any, Any, None]],
        log: ControlLog,
    ) -> None:
        """``confirm`` reads a command's signal; ``log`` records how a wait ended."""
        self._runtime = runtime
        self._confirm = confirm
        self._log = log
        self._pending: dict[tuple[str, str], PendingCommand] = {}
        # The signals followed for their commands' confirmation, by vehicle and role key;
        # each is followed from its first command on.
        self._followed: dict[tuple[str, str], CALLBACK_TYPE] = {}
        # Entities of controls follow their pending commands here (topic: the role's key).
        self.changes = Dispatcher()

    def commanded(self, vehicle_id: str, code: str, role: ControlRole) -> Any | None:
        """The state a pending command asked for, unless the car shows it already."""
        pending = self._pending.get((vehicle_id, role.key))
        if pending is None or self._reads(vehicle_id, code, role, pending.target):
            return None
        return pending.target

    def begin(
        self, vehicle_id: str, code: str, role: ControlRole, target: Any, kind: str
    ) -> PendingCommand | None:
        """Show ``target`` as pending, replacing an earlier command's; None if shown already."""
        key = (vehicle_id, role.key)
        if (earlier := self._pending.get(key)) is not None:
            self.end(earlier)
        if self._reads(vehicle_id, code, role, target):
            return None
        if key not in self._followed:
            self._followed[key] = self._runtime.dispatch.subscribe(
                vehicle_id, code, partial(self._check, key)
            )
        pending = self._pending[key] = PendingCommand(vehicle_id, code, role, target, kind)
        self.changes.notify(*key)
        return pending

    def wait(self, pending: PendingCommand) -> None:
        """Smartcar answered: read the signal later, and give up after PENDING_AT_MOST."""
        if self._pending.get((pending.vehicle_id, pending.role.key)) is pending:
            hass = self._runtime.hass
            pending.timers = [
                async_call_later(hass, CONFIRM_READ_AFTER, partial(self._read_later, pending)),
                async_call_later(hass, PENDING_AT_MOST, partial(self._expire, pending)),
            ]

    def end(self, pending: PendingCommand, result: Outcome | None = None) -> None:
        """Stop showing a command as pending; ``result`` says why, for the log."""
        key = (pending.vehicle_id, pending.role.key)
        if self._pending.get(key) is not pending:
            return
        del self._pending[key]
        for cancel in pending.timers:
            cancel()
        if result is not None:
            self._log.record(pending.vehicle_id, pending.kind, result)
        self.changes.notify(pending.vehicle_id, pending.role.key)

    def unload(self) -> None:
        """Stop waiting for confirmations."""
        for pending in list(self._pending.values()):
            self.end(pending)
        for unsubscribe in self._followed.values():
            unsubscribe()

    @callback
    def _check(self, key: tuple[str, str]) -> None:
        """A signal changed (delivered or read): confirm its command if it shows it."""
        pending = self._pending.get(key)
        if pending is not None and self._reads(
            pending.vehicle_id, pending.code, pending.role, pending.target
        ):
            self.end(pending, Outcome.CONFIRMED)

    @callback
    def _read_later(self, pending: PendingCommand, _now: datetime) -> None:
        self._runtime.entry.async_create_background_task(
            self._runtime.hass, self._confirm(pending), "Smartcar confirming read"
        )

    @callback
    def _expire(self, pending: PendingCommand, _now: datetime) -> None:
        self.end(pending, Outcome.NOT_CONFIRMED)

    def _reads(self, vehicle_id: str, code: str, role: ControlRole, target: Any) -> bool:
        """Whether the vehicle's signal shows ``target``."""
        vehicle = self._runtime.fleet.vehicles.get(vehicle_id)
        body = vehicle.value(code) if vehicle is not None else None
        return body is not None and role.reading(body) == target
