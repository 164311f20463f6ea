"""Who hears about what changed: entities by topic, new entities, automations' transitions.

Plain Python with no Home Assistant imports. A topic is a signal code, or one of the
vehicle's own topics for entities of the vehicle itself; listeners are plain callbacks.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection
from enum import Enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .fleet import Vehicle


class VehicleTopic(Enum):
    """What an entity of the vehicle itself follows, instead of a signal."""

    DELIVERY = "delivery"  # every accepted delivery ("Last update")
    STATUS = "status"  # reachability and vehicle errors ("Reporting", "Vehicle error")


type Topic = str | VehicleTopic
type Listener = Callable[[], None]
type Unsubscribe = Callable[[], None]
# Called with topics that have a value for the first time; VehicleTopic members among them
# mean the vehicle itself is new.
type NewTopicsListener = Callable[[Vehicle, Collection[Topic]], None]
type TransitionListener = Callable[[str], None]

VEHICLE_TOPICS: tuple[VehicleTopic, ...] = tuple(VehicleTopic)


class Dispatcher:
    """The subscriptions of one config entry's entities and platforms."""

    def __init__(self) -> None:
        """Start with nobody listening."""
        self._listeners: defaultdict[tuple[str, Topic], list[Listener]] = defaultdict(list)
        self._transition_listeners: defaultdict[str, list[TransitionListener]] = defaultdict(list)
        self._new_topics_listeners: list[NewTopicsListener] = []

    def subscribe(self, vehicle_id: str, topic: Topic, listener: Listener) -> Unsubscribe:
        """Call ``listener`` whenever ``topic`` of the vehicle changes."""
        listeners = self._listeners[(vehicle_id, topic)]
        listeners.append(listener)
        return lambda: listeners.remove(listener)

    def subscribe_transitions(self, vehicle_id: str, listener: TransitionListener) -> Unsubscribe:
        """Call ``listener`` with each transition (``"plugged_in"``...) of the vehicle."""
        listeners = self._transition_listeners[vehicle_id]
        listeners.append(listener)
        return lambda: listeners.remove(listener)

    def listen_new_topics(self, listener: NewTopicsListener) -> Unsubscribe:
        """Call ``listener`` with the topics that gain a value (the platforms add entities)."""
        self._new_topics_listeners.append(listener)
        return lambda: self._new_topics_listeners.remove(listener)

    def notify(self, vehicle_id: str, topic: Topic) -> None:
        """Tell the listeners of one topic that it changed.

        A copy of the list: a listener that unsubscribes while told skips no other.
        """
        for listener in tuple(self._listeners.get((vehicle_id, topic), ())):
            listener()

    def announce(self, vehicle: Vehicle, topics: Collection[Topic]) -> None:
        """Tell the platforms about topics that now have a value."""
        for listener in self._new_topics_listeners:
            listener(vehicle, topics)

    def fire_transition(self, vehicle_id: str, transition: str) -> None:
        """Tell the vehicle's transition listeners (its event entity) what happened."""
        for listener in self._transition_listeners.get(vehicle_id, ()):
            listener(transition)
