"""The charge limit: a number set through Smartcar (a Connect entry's control)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from homeassistant.components.number import NumberEntity, NumberEntityDescription
from homeassistant.exceptions import ServiceValidationError

from .const import DOMAIN
from .control_entity import ControlEntity, control_platform
from .entity import SmartcarEntityDescription
from .roles import NumberControl

if TYPE_CHECKING:
    from collections.abc import Hashable

    from .catalog import SignalSpec

# Commands wait for Smartcar's answer, not for each other.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class SmartcarNumberEntityDescription(NumberEntityDescription, SmartcarEntityDescription):
    """A number of a catalog control."""


def _range(spec: SignalSpec, role: NumberControl) -> dict[str, Any]:
    """Whole steps of the command's range, in the signal's unit."""
    return {
        "native_min_value": role.values[0],
        "native_max_value": role.values[-1],
        "native_step": role.values.step,
        "native_unit_of_measurement": spec.unit or None,
    }


class SmartcarNumber(ControlEntity, NumberEntity):
    """A number: the value commanded while its command is pending, else the car's."""

    entity_description: SmartcarNumberEntityDescription

    def _state_of(self, value: float | None) -> Hashable:
        return value  # the control's reading: a percentage, or None

    def _set_value(self, value: Any) -> None:
        number, commanded = value
        self._attr_native_value = number if commanded is None else commanded

    async def async_set_native_value(self, value: float) -> None:
        """Set the car to a whole number within the range (Home Assistant checks the range)."""
        if not float(value).is_integer():
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="whole_number",
                translation_placeholders={"value": str(value)},
            )
        await self._async_command(int(value))


# The charge limit of each vehicle that reports its limits.
async_setup_entry = control_platform(
    SmartcarNumberEntityDescription, NumberControl, SmartcarNumber, _range
)
