"""The base of the entities that act on the car: lock, switches, number (control.py acts).

A control shows its signal like any signal entity (change-only writes, the value times as
attributes) and, while a command is pending, the state commanded: the ``pending`` attribute
says which it is. It exists on Smartcar Connect entries on API v3 only, where the entry
asked for the permission its commands need and the car reports the signal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from .catalog import SIGNALS
from .entity import SmartcarEntity, SmartcarEntityDescription, catalog_platform, role_fields
from .roles import is_true

if TYPE_CHECKING:
    from collections.abc import Callable, Hashable

    from .catalog import SignalSpec
    from .control import VehicleControl
    from .entity import AsyncSetupEntry
    from .fleet import SignalState
    from .roles import ControlRole
    from .runtime import SmartcarRuntime


def control_platform[D: SmartcarEntityDescription, R: ControlRole](
    description: Callable[..., D],
    kind: type[R],
    entity_class: Callable[[SmartcarRuntime, str, D], ControlEntity],
    extra: Callable[[SignalSpec, R], dict[str, Any]] = lambda _spec, _role: {},
) -> AsyncSetupEntry:
    """The ``async_setup_entry`` of the platform of the catalog's controls of one ``kind``.

    It adds the controls the entry offers, for each vehicle reporting their signal.
    ``extra`` adds the fields a platform takes from the control (a number's range).
    """
    return catalog_platform(
        (
            description(**role_fields(spec, role), **extra(spec, role))
            for spec in SIGNALS
            for role in spec.controls
            if isinstance(role, kind)
        ),
        entity_class,
        _offered,
    )


def _offered(runtime: SmartcarRuntime, description: SmartcarEntityDescription) -> bool:
    """Whether the entry acts (a Connect entry on API v3) and asked for the permission."""
    control = runtime.control
    return control is not None and control.offers(cast("ControlRole", description.role))


class ControlEntity(SmartcarEntity):
    """A signal's entity that also sends the commands of its catalog control."""

    @property
    def _control(self) -> VehicleControl:
        # Only added where the entry has controls (control_platform).
        return cast("VehicleControl", self._runtime.control)

    @property
    def role(self) -> ControlRole:
        """The catalog's control: its commands and where it reads the signal."""
        return cast("ControlRole", self.entity_description.role)

    @property
    def _code(self) -> str:
        return cast("str", self.entity_description.topic)

    async def async_added_to_hass(self) -> None:
        """Follow the signal (SmartcarEntity) and the entity's pending commands."""
        await super().async_added_to_hass()
        self.async_on_remove(
            self._control.pending.changes.subscribe(
                self._vehicle_id, self.role.key, self._handle_change
            )
        )

    def _value(self, state: SignalState) -> Hashable:
        """The car's state as the platform shows it, and the state commanded (or None)."""
        commanded = self._control.pending.commanded(self._vehicle_id, self._code, self.role)
        return self._state_of(self.role.reading(state.body or {})), commanded

    def _state_of(self, value: Any) -> Hashable:
        """The read value as the platform shows it: on or off (None: unknown)."""
        return is_true(value)

    def _extra_attributes(self, state: SignalState) -> dict[str, Any]:
        """The value times, and whether the state shown is a command not confirmed yet."""
        pending = (
            self._control.pending.commanded(self._vehicle_id, self._code, self.role) is not None
        )
        return {**super()._extra_attributes(state), "pending": pending}

    async def _async_command(self, target: Any) -> None:
        """Bring the car to ``target``; the state shows it as pending meanwhile."""
        await self._control.async_command(self._vehicle_id, self._code, self.role, target)
