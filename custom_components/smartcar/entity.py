"""The bases of Smartcar's entities: one vehicle's, and one signal's (or the vehicle's) values."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from homeassistant.const import EntityCategory
from homeassistant.core import callback
from homeassistant.helpers import entity_platform
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.util import dt as dt_util

from .const import DOMAIN
from .dispatch import VehicleTopic
from .plausibility import reads_a_value
from .roles import entity_unique_id

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Coroutine, Hashable, Iterable

    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from . import SmartcarConfigEntry
    from .catalog import SignalSpec
    from .dispatch import Topic, Unsubscribe
    from .fleet import SignalState, Vehicle
    from .roles import Role
    from .runtime import SmartcarRuntime


# How an entity of the vehicle itself computes its value and attributes.
type VehicleValue = Callable[[SmartcarRuntime, Vehicle], tuple[Any, dict[str, Any]]]
type AsyncSetupEntry = Callable[
    [HomeAssistant, SmartcarConfigEntry, AddConfigEntryEntitiesCallback],
    Coroutine[Any, Any, None],
]

# The attributes of every signal entity: when the car maker recorded its value, and when
# Smartcar fetched it.
VALUE_TIMES: Final = ("recorded_at", "retrieved_at")


@dataclass(frozen=True, kw_only=True)
class SmartcarEntityDescription(EntityDescription):
    """Which signal an entity shows, and its catalog role: what it reads from the body.

    ``topic`` is the signal's code. Entities of the vehicle itself (freshness, errors) have
    no role: they follow one of the vehicle's topics (every delivery, or its status) and
    compute their value and attributes from the runtime with ``vehicle_value``.
    """

    topic: Topic
    role: Role | None = None
    vehicle_value: VehicleValue | None = None


def role_fields(spec: SignalSpec, role: Role) -> dict[str, Any]:
    """The description fields every platform takes from a catalog entry and one role."""
    return {
        "key": role.key,
        "translation_key": role.key,
        "topic": spec.code,
        "role": role,
        "entity_category": EntityCategory.DIAGNOSTIC if role.diagnostic else None,
        "entity_registry_enabled_default": role.enabled,
    }


def index_by_topic[D: SmartcarEntityDescription](
    descriptions: Iterable[D],
) -> dict[Topic, tuple[D, ...]]:
    """Group a platform's descriptions by topic, the key deliveries are looked up by."""
    index: dict[Topic, list[D]] = {}
    for description in descriptions:
        index.setdefault(description.topic, []).append(description)
    return {topic: tuple(group) for topic, group in index.items()}


def _reads_a_value(vehicle: Vehicle, description: SmartcarEntityDescription) -> bool:
    """Whether the entity's role reads something from its signal's body (or it has none)."""
    role, topic = description.role, description.topic
    state = vehicle.signals.get(topic) if role and isinstance(topic, str) else None
    if role is None or state is None or state.body is None:
        return True
    return reads_a_value(role, state.body)


@dataclass
class _CatalogEntities[D: SmartcarEntityDescription]:
    """The catalog entities of one platform, each added once its role reads a value.

    A body can carry a field its car never fills: the frunk's ``isLocked`` is often
    ``null`` next to a real ``isOpen``. An entity made for that field would be stuck at
    "unknown": it is added with the delivery that first fills it. One added before (in the
    registry: ``registered``) is added at once: a value that went null shows "unknown",
    after a restart as before it.
    """

    runtime: SmartcarRuntime
    add_entities: AddConfigEntryEntitiesCallback
    descriptions: dict[Topic, tuple[D, ...]]
    entity_class: Callable[[SmartcarRuntime, str, D], Entity]
    # Whether an entity of this platform with this unique id is in the registry.
    registered: Callable[[str], bool]
    # Per vehicle and key, the subscription of an entity waiting for its first value.
    _waiting: dict[tuple[str, str], Unsubscribe] = field(default_factory=dict, init=False)

    @callback
    def add(self, vehicle: Vehicle, topics: Collection[Topic]) -> None:
        """Add the entities of topics that got a body; wait for those it has no value for."""
        ready = []
        for topic in topics:
            for description in self.descriptions.get(topic, ()):
                if _reads_a_value(vehicle, description) or self.registered(
                    entity_unique_id(vehicle.id, description.key)
                ):
                    ready.append(description)
                else:
                    self._wait(vehicle, description)
        self.add_entities(self.entity_class(self.runtime, vehicle.id, d) for d in ready)

    def _wait(self, vehicle: Vehicle, description: D) -> None:
        key = (vehicle.id, description.key)
        if key in self._waiting:
            return

        @callback
        def changed() -> None:
            if _reads_a_value(vehicle, description):
                self._waiting.pop(key)()
                self.add_entities([self.entity_class(self.runtime, vehicle.id, description)])

        self._waiting[key] = self.runtime.dispatch.subscribe(vehicle.id, description.topic, changed)

    @callback
    def stop(self) -> None:
        """The entry unloads: nobody waits any longer."""
        for unsubscribe in self._waiting.values():
            unsubscribe()


def async_add_catalog_entities[D: SmartcarEntityDescription](
    entry: SmartcarConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    descriptions: dict[Topic, tuple[D, ...]],
    entity_class: Callable[[SmartcarRuntime, str, D], Entity],
) -> None:
    """Add a platform's entities for every topic with a value, each once it reads one."""
    runtime = entry.runtime_data
    domain = entity_platform.async_get_current_platform().domain
    registry = er.async_get(runtime.hass)

    def registered(unique_id: str) -> bool:
        return registry.async_get_entity_id(domain, DOMAIN, unique_id) is not None

    entities = _CatalogEntities(runtime, async_add_entities, descriptions, entity_class, registered)
    entry.async_on_unload(runtime.async_listen_new_topics(entities.add))
    entry.async_on_unload(entities.stop)


def catalog_platform[D: SmartcarEntityDescription](
    descriptions: Iterable[D],
    entity_class: Callable[[SmartcarRuntime, str, D], Entity],
    offers: Callable[[SmartcarRuntime, D], bool] = lambda _runtime, _description: True,
) -> AsyncSetupEntry:
    """A platform's ``async_setup_entry``: its entities of the descriptions ``offers`` keeps.

    Added for every topic with a value, now and as new ones arrive.
    """
    by_topic = index_by_topic(descriptions)

    async def async_setup_entry(
        hass: HomeAssistant,
        entry: SmartcarConfigEntry,
        async_add_entities: AddConfigEntryEntitiesCallback,
    ) -> None:
        offered = {
            topic: kept
            for topic, group in by_topic.items()
            if (kept := tuple(d for d in group if offers(entry.runtime_data, d)))
        }
        async_add_catalog_entities(entry, async_add_entities, offered, entity_class)

    return async_setup_entry


def async_add_vehicle_entities(
    entry: SmartcarConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    entity_of: Callable[[str], Entity],
    listed: Iterable[str] = (),
) -> None:
    """Add one entity per vehicle: for the ``listed`` ones now, and for each new vehicle."""
    added: set[str] = set()

    @callback
    def add(vehicle_ids: Iterable[str]) -> None:
        new = [vehicle_id for vehicle_id in vehicle_ids if vehicle_id not in added]
        added.update(new)
        async_add_entities(entity_of(vehicle_id) for vehicle_id in new)

    @callback
    def add_new(vehicle: Vehicle, topics: Collection[Topic]) -> None:
        if VehicleTopic.DELIVERY in topics:  # the vehicle itself is new
            add([vehicle.id])

    add(listed)
    entry.async_on_unload(entry.runtime_data.async_listen_new_topics(add_new))


class VehicleEntity(Entity):
    """An entity of one vehicle: its unique id is the vehicle's id and the entity's key."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(self, runtime: SmartcarRuntime, vehicle_id: str, key: str) -> None:
        """Bind the entity to its vehicle's device."""
        self._runtime = runtime
        self._vehicle_id = vehicle_id
        self._attr_unique_id = entity_unique_id(vehicle_id, key)
        self._attr_device_info = runtime.devices.device_info(vehicle_id)


class SmartcarEntity(VehicleEntity):
    """An entity that shows one signal of one vehicle and writes state only on change.

    Subclasses say what they show for a signal holding a value (``_value``, a hashable
    summary) and how to show it (``_set_value``). State is written only when that value or
    the availability differs from what was last written: the times of a value that did not
    change (another door of the same signal opened, say) are no reason to write.
    """

    entity_description: SmartcarEntityDescription
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
        super().__init__(runtime, vehicle_id, description.key)
        self.entity_description = description
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
            self._runtime.dispatch.subscribe(
                self._vehicle_id, self.entity_description.topic, self._handle_change
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
        state: SignalState | None = None
        if vehicle is None:
            pass
        elif description.vehicle_value is not None:
            value, attributes = description.vehicle_value(self._runtime, vehicle)
            shown = (value, attributes)
        elif (
            isinstance(description.topic, str)
            and (state := vehicle.shown_state(description.topic)) is not None
        ):
            value = self._value(state)
            shown = (value,)
        if shown == self._shown:
            return False
        self._shown = shown
        self._attr_available = bool(shown)
        if shown:
            self._set_value(value)
            # The attributes follow from the value: worked out only once it changed (when
            # one door opens, the other doors are told too and show no change).
            self._attr_extra_state_attributes = (
                attributes if state is None else self._extra_attributes(state)
            )
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
