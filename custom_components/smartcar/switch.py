"""Switches: charging and the charge port, switched through Smartcar (Connect controls)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription

from .control_entity import ControlEntity, control_platform
from .entity import SmartcarEntityDescription
from .roles import SwitchControl

# Commands wait for Smartcar's answer, not for each other.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class SmartcarSwitchEntityDescription(SwitchEntityDescription, SmartcarEntityDescription):
    """A switch of a catalog control."""


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


# Each switch the entry offers, for the signals a vehicle reports.
async_setup_entry = control_platform(SmartcarSwitchEntityDescription, SwitchControl, SmartcarSwitch)
