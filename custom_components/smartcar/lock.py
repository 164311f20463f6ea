"""The lock: the car's doors, locked and unlocked through Smartcar (a Connect entry's control)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from homeassistant.components.lock import LockEntity, LockEntityDescription

from .control_entity import ControlEntity, control_platform
from .entity import SmartcarEntityDescription
from .roles import LockControl

# Commands wait for Smartcar's answer, not for each other.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class SmartcarLockEntityDescription(LockEntityDescription, SmartcarEntityDescription):
    """A lock of a catalog control."""


class SmartcarLock(ControlEntity, LockEntity):
    """The car's lock: locking or unlocking while a command is pending."""

    entity_description: SmartcarLockEntityDescription

    def _set_value(self, value: Any) -> None:
        self._attr_is_locked, commanded = value
        self._attr_is_locking = commanded is True
        self._attr_is_unlocking = commanded is False

    async def async_lock(self, **kwargs: Any) -> None:
        """Lock the car (Smartcar's security/lock)."""
        await self._async_command(True)  # noqa: FBT003 (the state commanded)

    async def async_unlock(self, **kwargs: Any) -> None:
        """Unlock the car (Smartcar's security/unlock)."""
        await self._async_command(False)  # noqa: FBT003 (the state commanded)


# The lock of each vehicle that reports whether it is locked.
async_setup_entry = control_platform(SmartcarLockEntityDescription, LockControl, SmartcarLock)
