"""The vehicles' devices: created and kept in step with what the vehicles deliver."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import DeviceInfo

from .catalog import DEVICE_FIELDS, DeviceField
from .const import DOMAIN
from .signals import display_make

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant

    from .fleet import Vehicle

# The signals that fill a device field: a change of one of them updates the device.
DEVICE_SIGNALS: Final = frozenset(DEVICE_FIELDS.values())


class Devices:
    """One device per vehicle of a config entry, and the link entities make to it."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry) -> None:
        """Know no device yet; ``update`` creates them."""
        self._hass = hass
        self._entry = entry
        self._device_ids: dict[str, str] = {}
        self._device_infos: dict[str, DeviceInfo] = {}
        # VINs the Smartcar API listed (Connect entries): the device's serial number until
        # the vehicle delivers its VIN signal.
        self._listed_vins: dict[str, str] = {}

    def device_info(self, vehicle_id: str) -> DeviceInfo:
        """The link from an entity to its vehicle's device, one object per vehicle."""
        if (info := self._device_infos.get(vehicle_id)) is None:
            info = self._device_infos[vehicle_id] = DeviceInfo(identifiers={(DOMAIN, vehicle_id)})
        return info

    def device_id(self, vehicle_id: str) -> str | None:
        """The device registry id of a vehicle."""
        return self._device_ids.get(vehicle_id)

    def name(self, vehicle: Vehicle) -> str:
        """The vehicle's name as its device shows it (the user's name for it first)."""
        device_id = self._device_ids.get(vehicle.id)
        if device_id and (device := dr.async_get(self._hass).async_get(device_id)):
            return device.name_by_user or device.name or vehicle.id
        return vehicle.id

    def update(self, vehicle: Vehicle) -> None:
        """Create or update the vehicle's device from what the fleet knows of it."""
        make = display_make(vehicle.make)
        nickname = _text(vehicle.value(DEVICE_FIELDS[DeviceField.NAME]))
        default_name = " ".join(part for part in (make, vehicle.model) if part) or "Vehicle"
        vin = _text(vehicle.value(DEVICE_FIELDS[DeviceField.SERIAL_NUMBER]))
        device = dr.async_get(self._hass).async_get_or_create(
            config_entry_id=self._entry.entry_id,
            identifiers={(DOMAIN, vehicle.id)},
            manufacturer=make,
            model=vehicle.model,
            model_id=str(vehicle.year) if vehicle.year else None,
            name=nickname or default_name,
            sw_version=_text(vehicle.value(DEVICE_FIELDS[DeviceField.SW_VERSION])),
            serial_number=vin or self._listed_vins.get(vehicle.id),
        )
        self._device_ids[vehicle.id] = device.id

    def add_listed(self, vehicle: Vehicle, vin: str | None) -> None:
        """Create the device of a vehicle the Smartcar API listed, before it delivers."""
        if vin:
            self._listed_vins[vehicle.id] = vin
        self.update(vehicle)

    def forget(self, vehicle_id: str) -> None:
        """The user removed the vehicle's device."""
        self._device_ids.pop(vehicle_id, None)


def _text(body: dict[str, Any] | None) -> str | None:
    value = body.get("value") if body else None
    return value if isinstance(value, str) and value else None
