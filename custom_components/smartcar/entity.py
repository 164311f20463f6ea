"""The base of every Smartcar entity: one signal (or the vehicle itself) of one vehicle."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from homeassistant.const import EntityCategory
from homeassistant.core import callback
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.util import dt as dt_util

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Hashable, Iterable

    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from . import SmartcarConfigEntry
    from .catalog import SignalSpec
    from .fleet import SignalState, Vehicle
    from .roles import Role
    from .runtime import SmartcarRuntime


# The attributes of every signal entity: when the car maker recorded its value, and when
# Smartcar fetched it.
VALUE_TIMES: Final = ("recorded_at", "retrieved_at")


@dataclass(frozen=True, kw_only=True)
class SmartcarEntityDescription(EntityDescription):
    """Which signal an entity shows, and its catalog role: what it reads from the body.

    Entities of the vehicle itself (freshness, errors) have no role: they follow a topic of
    the vehicle (``signal``: every delivery, or its status) and compute their value and
    attributes from the runtime with ``vehicle_value``.
    """

    signal: str | None
    role: Role | None = None
    vehicle_value: Callable[[SmartcarRuntime, Vehicle], tuple[Any, dict[str, Any]]] | None = None


def role_fields(spec: SignalSpec, role: Role) -> dict[str, Any]:
    """The description fields every platform takes from a catalog entry and one role."""
    return {
        "key": role.key,
        "translation_key": role.key,
        "signal": spec.code,
        "role": role,
        "entity_category": EntityCategory.DIAGNOSTIC if role.diagnostic else None,
        "entity_registry_enabled_default": role.enabled,
    }


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

    Subclasses say what they show for a signal holding a value (``_value``, a hashable
    summary) and how to show it (``_set_value``). State is written only when that value or
    the availability differs from what was last written: the times of a value that did not
    change (another door of the same signal opened, say) are no reason to write.
    """

    entity_description: SmartcarEntityDescription
    _attr_has_entity_name = True
    _attr_should_poll = False
    # Shown with the value, not kept in the recorder: each would be a new attributes row
    # with every change of the value, for times the state's own history already tells.
    _unrecorded_attributes = frozenset(VALUE_TIMES)

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
        description = self.entity_description
        # Unavailable: no vehicle (removed by the user), no value, or an error in its way.
        shown: tuple[Any, ...] = ()
        attributes: dict[str, Any] = {}
        if vehicle is None:
            pass
        elif description.vehicle_value is not None:
            value, attributes = description.vehicle_value(self._runtime, vehicle)
            shown = (value, attributes)
        elif (
            description.signal is not None
            and (state := vehicle.shown_state(description.signal)) is not None
        ):
            value = self._value(state)
            attributes = self._extra_attributes(state)
            shown = (value,)
        if shown == self._shown:
            return False
        self._shown = shown
        self._attr_available = bool(shown)
        if shown:
            self._set_value(value)
            self._attr_extra_state_attributes = attributes
        return True

    def _value(self, state: SignalState) -> Hashable:
        """What the entity shows for a signal that holds a value."""
        raise NotImplementedError

    def _set_value(self, value: Any) -> None:
        """Show ``value`` (what ``_value`` returned, or a vehicle entity's value)."""
        raise NotImplementedError

    def _extra_attributes(self, state: SignalState) -> dict[str, Any]:
        """The attributes shown with a new value: when it was recorded and fetched."""
        return value_times(state)


def value_times(state: SignalState) -> dict[str, Any]:
    """The attributes every signal entity carries: when its value was recorded and fetched."""
    return dict(zip(VALUE_TIMES, (_iso(state.recorded_at), _iso(state.retrieved_at)), strict=True))


def _iso(milliseconds: int | None) -> str | None:
    if milliseconds is None:
        return None
    return dt_util.utc_from_timestamp(milliseconds / 1000).isoformat()
