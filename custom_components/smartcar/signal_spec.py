"""What a catalog entry is: a signal's code, unit, permissions and what it becomes.

Plain Python with no Home Assistant imports. catalog.py declares one entry per signal;
this module says what an entry holds, which permission each signal group needs, and
builds the entry of a true-or-false signal that automations follow both ways.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Final

from .roles import became

if TYPE_CHECKING:
    from .roles import ControlRole, Flag, Position, SensorRole, Transition


class DeviceField(StrEnum):
    """A field of the vehicle's device that a signal's plain ``value`` fills."""

    NAME = "name"
    SW_VERSION = "sw_version"
    SERIAL_NUMBER = "serial_number"


@dataclass(frozen=True, slots=True)
class SignalSpec:
    """One signal: its code, default unit, permissions and what it becomes.

    ``unit`` is the unit its numbers have when a delivery names none (``""`` for counts;
    ``None`` for a signal without numbers); its family decides which delivered units are
    accepted. ``permissions`` are those of its group (GROUP_PERMISSIONS) unless given.
    ``private`` signals identify the car or its owner: diagnostics redact their value.
    """

    code: str
    unit: str | None = None
    sensors: tuple[SensorRole, ...] = field(default=(), kw_only=True)
    flags: tuple[Flag, ...] = field(default=(), kw_only=True)
    tracker: Position | None = field(default=None, kw_only=True)
    controls: tuple[ControlRole, ...] = field(default=(), kw_only=True)
    transitions: tuple[Transition, ...] = field(default=(), kw_only=True)
    device_field: DeviceField | None = field(default=None, kw_only=True)
    private: bool = field(default=False, kw_only=True)
    permissions: tuple[str, ...] = field(default=(), kw_only=True)

    @property
    def needs(self) -> tuple[str, ...]:
        """The Connect permissions a vehicle must grant for Smartcar to send this signal."""
        return self.permissions or (GROUP_PERMISSIONS[self.code.split("-", 1)[0]],)


def true_or_false(
    code: str,
    flag: Flag,
    true_type: str,
    false_type: str,
    *,
    controls: tuple[ControlRole, ...] = (),
) -> SignalSpec:
    """A true-or-false signal: its binary sensor, and a transition each way of those types."""
    return SignalSpec(
        code,
        flags=(flag,),
        controls=controls,
        transitions=(became(true_type, value=True), became(false_type, value=False)),
    )


# The permission each signal group needs; SignalSpec.permissions names the exceptions. The
# groups marked "unconfirmed" are not mapped in Smartcar's documentation.
GROUP_PERMISSIONS: Final = {
    "tractionbattery": "read_battery",
    "lowvoltagebattery": "read_battery",  # unconfirmed
    "charge": "read_charge",
    "internalcombustionengine": "read_fuel",
    "odometer": "read_odometer",
    "motion": "read_speedometer",
    "transmission": "read_extended_vehicle_info",  # unconfirmed
    "closure": "read_security",
    "surveillance": "read_security",  # unconfirmed
    "location": "read_location",
    "wheel": "read_tires",
    "climate": "read_thermometer",
    "hvac": "read_climate",
    "connectivitystatus": "read_extended_vehicle_info",  # unconfirmed
    "connectivitysoftware": "read_extended_vehicle_info",  # unconfirmed
    "service": "read_service_history",
    "diagnostics": "read_diagnostics",
    "vehicleidentification": "read_extended_vehicle_info",
    "vehicleuseraccount": "read_user_profile",
}
