"""Switches: charging and the charge port, switched through Smartcar (Connect controls)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription

from .control_entity import ControlEntity, async_add_control_entities, control_descriptions
from .entity import SmartcarEntityDescription
from .roles import SwitchControl

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from . import SmartcarConfigEntry

# Commands wait for Smartcar's answer, not for each other.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class SmartcarSwitchEntityDescription(SwitchEntityDescription, SmartcarEntityDescription):
    """A switch of a catalog control."""


BY_TOPIC = control_descriptions(SmartcarSwitchEntityDescription, SwitchControl)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmartcarConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add each switch the entry offers for the signals a vehicle reports."""
    async_add_control_entities(entry, async_add_entities, BY_TOPIC, SmartcarSwitch)


class SmartcarSwitch(ControlEntity, SwitchEntity):
    """A switch: the state commanded while its command is pending, else the car's."""

    entity_description: SmartcarSwitchEntityDescription

    def _set_value(self, value: Any) -> None:
        is_on, commanded = value
        self._attr_is_on = is_on if commanded is None else commanded

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Start charging, or open the charge port."""
        await self._async_command(True)  # noqa: FBT003 (the state commanded)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Stop charging, or close the charge port."""
        await self._async_command(False)  # noqa: FBT003 (the state commanded)
