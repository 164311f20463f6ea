"""The base of every Smartcar entity: one signal (or the vehicle itself) of one vehicle."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from homeassistant.core import callback
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.util import dt as dt_util

from .signals import VALUE, Read

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Hashable, Iterable

    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from . import SmartcarConfigEntry
    from .fleet import SignalState, Vehicle
    from .runtime import SmartcarRuntime


@dataclass(frozen=True, kw_only=True)
class SmartcarEntityDescription(EntityDescription):
    """Which signal an entity shows and where its value sits in the signal's body.

    ``signal`` is ``None`` for entities of the vehicle itself (freshness), which follow
    every delivery instead of one signal.
    """

    signal: str | None
    read: Read = VALUE
    # Entities of the vehicle itself compute (value, attributes) from the runtime.
    vehicle_value: Callable[[SmartcarRuntime, Vehicle], tuple[Any, dict[str, Any]]] | None = None


def index_by_signal[D: SmartcarEntityDescription](
    descriptions: Iterable[D],
) -> dict[str | None, tuple[D, ...]]:
    """Group a platform's catalog by signal code, the key deliveries are looked up by."""
    index: dict[str | None, list[D]] = {}
    for description in descriptions:
        index.setdefault(description.signal, []).append(description)
    return {code: tuple(group) for code, group in index.items()}


def async_add_catalog_entities[D: SmartcarEntityDescription](
    entry: SmartcarConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    catalog: dict[str | None, tuple[D, ...]],
    entity_class: Callable[[SmartcarRuntime, str, D], Entity],
) -> None:
    """Add a platform's entities for every delivered signal, now and as new ones arrive."""
    runtime = entry.runtime_data

    @callback
    def add(vehicle: Vehicle, codes: Collection[str | None]) -> None:
        async_add_entities(
            entity_class(runtime, vehicle.id, description)
            for code in codes
            for description in catalog.get(code, ())
        )

    entry.async_on_unload(runtime.async_add_signals_listener(add))


class SmartcarEntity(Entity):
    """An entity that shows one signal of one vehicle and writes state only on change.

    Subclasses implement ``_show`` to set their ``_attr_*`` values from the signal and to
    return a summary of what they set; state is written only when that summary, the
    availability or the value's timestamps differ from what was last written.
    """

    entity_description: SmartcarEntityDescription
    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(
        self,
        runtime: SmartcarRuntime,
        vehicle_id: str,
        description: SmartcarEntityDescription,
    ) -> None:
        """Bind the entity to its vehicle and catalog entry."""
        self.entity_description = description
        self._runtime = runtime
        self._vehicle_id = vehicle_id
        self._attr_unique_id = f"{vehicle_id}_{description.key}"
        self._attr_device_info = runtime.device_info(vehicle_id)
        self._shown: tuple[Any, ...] | None = None

    @property
    def vehicle(self) -> Vehicle | None:
        """The vehicle as the fleet knows it now."""
        return self._runtime.fleet.vehicles.get(self._vehicle_id)

    async def async_added_to_hass(self) -> None:
        """Show the value held now (stored or delivered), then follow the signal."""
        await super().async_added_to_hass()
        self._refresh()
        self.async_on_remove(
            self._runtime.async_subscribe(
                self._vehicle_id, self.entity_description.signal, self._handle_change
            )
        )

    @callback
    def _handle_change(self) -> None:
        if self._refresh():
            self.async_write_ha_state()

    def _refresh(self) -> bool:
        """Recompute what the entity shows; return whether it differs from before."""
        vehicle = self.vehicle
        signal = self.entity_description.signal
        vehicle_value = self.entity_description.vehicle_value
        shown: tuple[Any, ...] = ()  # no value, or an error stands in its way: unavailable
        if vehicle is None:
            pass  # removed by the user; the entity goes with its device
        elif vehicle_value is not None:
            # Refreshed on every delivery and usually unchanged: set nothing then.
            value, attributes = vehicle_value(self._runtime, vehicle)
            shown = (value, attributes)
            if shown != self._shown:
                self._set_value(value)
                self._attr_extra_state_attributes = attributes
        elif signal is not None and (state := vehicle.shown_state(signal)) is not None:
            self._attr_extra_state_attributes = value_times(state)
            shown = (self._show(state), state.recorded_at, state.retrieved_at)
        if shown == self._shown:
            return False
        self._shown = shown
        self._attr_available = bool(shown)
        return True

    def _show(self, state: SignalState) -> Hashable:
        """Set the entity's value from a signal that holds one."""
        raise NotImplementedError

    def _set_value(self, value: Any) -> None:
        """Show ``value`` as the entity's state."""
        raise NotImplementedError


def value_times(state: SignalState) -> dict[str, Any]:
    """The attributes every signal entity carries: when its value was recorded and fetched."""
    return _value_times(state.recorded_at, state.retrieved_at)


@lru_cache(maxsize=4096)
def _value_times(recorded_at: int | None, retrieved_at: int | None) -> dict[str, Any]:
    # Shared by every entity of a signal (and of a delivery): built once, never mutated.
    return {"recorded_at": _iso(recorded_at), "retrieved_at": _iso(retrieved_at)}


def _iso(milliseconds: int | None) -> str | None:
    if milliseconds is None:
        return None
    return dt_util.utc_from_timestamp(milliseconds / 1000).isoformat()
