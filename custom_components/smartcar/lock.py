"""The lock: the car's doors, locked and unlocked through Smartcar (a Connect entry's control)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from homeassistant.components.lock import LockEntity, LockEntityDescription

from .control_entity import ControlEntity, async_add_control_entities, control_descriptions
from .entity import SmartcarEntityDescription
from .roles import LockControl

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from . import SmartcarConfigEntry

# Commands wait for Smartcar's answer, not for each other.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class SmartcarLockEntityDescription(LockEntityDescription, SmartcarEntityDescription):
    """A lock of a catalog control."""


BY_TOPIC = control_descriptions(SmartcarLockEntityDescription, LockControl)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmartcarConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the lock of each vehicle that reports whether it is locked."""
    async_add_control_entities(entry, async_add_entities, BY_TOPIC, SmartcarLock)


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
