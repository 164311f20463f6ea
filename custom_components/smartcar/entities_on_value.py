"""Entities that appear with their first value, not with their signal's first body.

A body can carry a field its car never fills: the frunk's ``isLocked`` is often ``null``
next to a real ``isOpen``. An entity made for that field would be stuck at "unknown";
this adds each catalog entity once its role reads a value, now or with a later delivery.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.core import callback

from .entity import SmartcarEntityDescription

if TYPE_CHECKING:
    from collections.abc import Callable, Collection

    from homeassistant.helpers.entity import Entity
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from . import SmartcarConfigEntry
    from .dispatch import Topic, Unsubscribe
    from .fleet import Vehicle
    from .runtime import SmartcarRuntime


def reads_a_value(vehicle: Vehicle, description: SmartcarEntityDescription) -> bool:
    """Whether the entity's role reads something from its signal's body (or it has none)."""
    role, topic = description.role, description.topic
    state = vehicle.signals.get(topic) if role and isinstance(topic, str) else None
    if role is None or state is None or state.body is None:
        return True
    return role.read(state.body) is not None


class _FirstValues[D: SmartcarEntityDescription]:
    """The entities of one platform, each added once it reads a value."""

    def __init__(
        self,
        runtime: SmartcarRuntime,
        async_add_entities: AddConfigEntryEntitiesCallback,
        descriptions: dict[Topic, tuple[D, ...]],
        entity_class: Callable[[SmartcarRuntime, str, D], Entity],
    ) -> None:
        self._runtime = runtime
        self._add_entities = async_add_entities
        self._descriptions = descriptions
        self._entity_class = entity_class
        # Per vehicle and key, the subscription of an entity waiting for its first value.
        self._waiting: dict[tuple[str, str], Unsubscribe] = {}

    @callback
    def add(self, vehicle: Vehicle, topics: Collection[Topic]) -> None:
        """Add the entities of topics that got a body; wait for those it has no value for."""
        ready = []
        for topic in topics:
            for description in self._descriptions.get(topic, ()):
                if reads_a_value(vehicle, description):
                    ready.append(description)
                else:
                    self._wait(vehicle, description)
        self._add_entities(self._entity_class(self._runtime, vehicle.id, d) for d in ready)

    def _wait(self, vehicle: Vehicle, description: D) -> None:
        key = (vehicle.id, description.key)
        if key in self._waiting:
            return

        @callback
        def changed() -> None:
            if reads_a_value(vehicle, description):
                self._waiting.pop(key)()
                self._add_entities([self._entity_class(self._runtime, vehicle.id, description)])

        self._waiting[key] = self._runtime.dispatch.subscribe(
            vehicle.id, description.topic, changed
        )

    @callback
    def stop(self) -> None:
        """The entry unloads: nobody waits any longer."""
        for unsubscribe in self._waiting.values():
            unsubscribe()


def async_add_on_first_value[D: SmartcarEntityDescription](
    entry: SmartcarConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    descriptions: dict[Topic, tuple[D, ...]],
    entity_class: Callable[[SmartcarRuntime, str, D], Entity],
) -> None:
    """Add a platform's entities for every topic with a value, each once it reads one."""
    runtime = entry.runtime_data
    first_values = _FirstValues(runtime, async_add_entities, descriptions, entity_class)
    entry.async_on_unload(runtime.async_listen_new_topics(first_values.add))
    entry.async_on_unload(first_values.stop)
