"""The public Home Assistant seams the bench measures through, and its loud failure.

Nothing here names a private attribute or method of the integration: the handler is timed
as Home Assistant's webhook component calls it (the callable given to
``webhook.async_register``), state writes are counted on the bus, the save is seen where the
integration hands its data to Home Assistant's ``Store``. When a seam is gone the bench
stops with a BenchError that says which, instead of measuring less.
"""

from __future__ import annotations

from collections import Counter
import sys
import time
from typing import TYPE_CHECKING, Any, Final

from homeassistant.components import webhook
from homeassistant.const import EVENT_STATE_CHANGED, EVENT_STATE_REPORTED
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.storage import Store

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    import cProfile

    from aiohttp import web

    type Handler = Callable[[HomeAssistant, str, web.Request], Awaitable[web.Response | None]]

DOMAIN: Final = "smartcar"
INTEGRATION_PACKAGE: Final = "custom_components.smartcar"
# Entity keys (unique id minus the vehicle id) of the vehicle itself, not of one signal.
VEHICLE_ENTITY_KEYS: Final = frozenset({"last_update", "vehicle_error", "reporting"})


class BenchError(RuntimeError):
    """The bench could not measure what it set out to: a seam is gone, a setup failed."""


class TimedHandler:
    """A webhook handler as registered, timed (and profiled on demand) around each call."""

    def __init__(self, inner: Handler) -> None:
        """Time ``inner``."""
        self.inner = inner
        self.samples: list[int] = []
        self.profiler: cProfile.Profile | None = None

    async def __call__(
        self, hass: HomeAssistant, webhook_id: str, request: web.Request
    ) -> web.Response | None:
        """Call the handler, adding its duration in ns to ``samples``."""
        profiler = self.profiler
        if profiler is not None:
            profiler.enable()
        start = time.perf_counter_ns()
        try:
            return await self.inner(hass, webhook_id, request)
        finally:
            self.samples.append(time.perf_counter_ns() - start)
            if profiler is not None:
                profiler.disable()


class HandlerCapture:
    """Times every handler registered through ``webhook.async_register`` from now on.

    The integration imports ``async_register`` when Home Assistant loads it, so the wrapper
    must be in place before that: ``install`` refuses to run once the integration is
    imported, and ``timed`` refuses a webhook id whose handler it did not see registered.
    """

    def __init__(self) -> None:
        """Nothing captured yet."""
        self.handlers: dict[str, TimedHandler] = {}
        self._original = webhook.async_register

    def install(self) -> None:
        """Wrap ``homeassistant.components.webhook.async_register`` for this process."""
        if INTEGRATION_PACKAGE in sys.modules:
            raise BenchError(
                f"{INTEGRATION_PACKAGE} was imported before the bench wrapped "
                "homeassistant.components.webhook.async_register: its webhook handler "
                "cannot be timed"
            )
        webhook.async_register = self._register

    def _register(
        self,
        hass: HomeAssistant,
        domain: str,
        name: str,
        webhook_id: str,
        handler: Handler,
        **options: Any,
    ) -> None:
        timed = self.handlers[webhook_id] = TimedHandler(handler)
        self._original(hass, domain, name, webhook_id, timed, **options)

    def timed(self, webhook_id: str, owner: str) -> TimedHandler:
        """The timed handler of ``webhook_id``, registered by ``owner``."""
        if (handler := self.handlers.get(webhook_id)) is None:
            raise BenchError(
                f"{owner} registered no handler for its webhook id through "
                "homeassistant.components.webhook.async_register: there is nothing the bench "
                "can time as Home Assistant calls it"
            )
        return handler


def entity_key(unique_id: str | None, entity_id: str) -> str:
    """``battery_level`` for ``<vehicle id>_battery_level``; other entities by entity id."""
    return unique_id.split("_", 1)[1] if unique_id else f"other:{entity_id}"


class WriteCounter:
    """State writes per entity key, as the bus sees them, while ``active``.

    ``changed``: ``state_changed`` events, the writes Home Assistant acts on and records.
    ``reported``: ``state_reported`` events, writes of a state and attributes that were
    already there (Home Assistant only moves ``last_reported``).
    """

    def __init__(self, hass: HomeAssistant) -> None:
        """Listen on the bus; count nothing until ``active``."""
        self._registry = er.async_get(hass)
        self._keys: dict[str, str] = {}
        self.active = False
        self.counts: dict[str, Counter[str]] = {"changed": Counter(), "reported": Counter()}
        self._unsubscribe = [
            hass.bus.async_listen(EVENT_STATE_CHANGED, self._on_changed),
            hass.bus.async_listen(
                EVENT_STATE_REPORTED, self._on_reported, event_filter=callback(lambda _: True)
            ),
        ]

    def close(self) -> None:
        """Stop listening."""
        for unsubscribe in self._unsubscribe:
            unsubscribe()

    def _key(self, entity_id: str) -> str:
        if (key := self._keys.get(entity_id)) is None:
            entry = self._registry.async_get(entity_id)
            unique_id = entry.unique_id if entry is not None and entry.platform == DOMAIN else None
            key = self._keys[entity_id] = entity_key(unique_id, entity_id)
        return key

    @callback
    def _on_changed(self, event: Event[EventStateChangedData]) -> None:
        if self.active:
            self.counts["changed"][self._key(event.data["entity_id"])] += 1

    @callback
    def _on_reported(self, event: Event[Any]) -> None:
        if self.active:
            self.counts["reported"][self._key(event.data["entity_id"])] += 1

    def take(self, deliveries: int) -> dict[str, Any]:
        """Writes per delivery so far, signal and vehicle entities apart; start again at 0."""
        result = {}
        for name, counts in self.counts.items():
            per_entity = {key: count / deliveries for key, count in sorted(counts.items())}
            signal = sum(v for k, v in per_entity.items() if k not in VEHICLE_ENTITY_KEYS)
            result[name] = {
                "signal_entities_per_delivery": signal,
                "vehicle_entities_per_delivery": sum(per_entity.values()) - signal,
                "per_entity": per_entity,
            }
            counts.clear()
        return result


class SaveWatcher:
    """Sees what each ``Store`` is asked to save later (``Store.async_delay_save``).

    The integration keeps its values in the Store keyed ``smartcar.<entry id>`` and saves
    them with a delay; the data callable it hands over is what Home Assistant calls in the
    event loop when the delay is over, then serialises there.
    """

    def __init__(self) -> None:
        """Wrap ``Store.async_delay_save`` until ``close``."""
        self.pending: dict[str, tuple[Store[Any], Callable[[], Any]]] = {}
        self.calls: Counter[str] = Counter()
        original = self._original = Store.async_delay_save
        watcher = self

        def async_delay_save(
            store: Store[Any], data_func: Callable[[], Any], delay: float = 0
        ) -> None:
            watcher.pending[store.key] = (store, data_func)
            watcher.calls[store.key] += 1
            original(store, data_func, delay)

        Store.async_delay_save = async_delay_save  # type: ignore[method-assign,assignment]

    def close(self) -> None:
        """Put ``Store.async_delay_save`` back."""
        Store.async_delay_save = self._original  # type: ignore[method-assign]

    async def async_save_now(self, keys: tuple[str, ...]) -> None:
        """Write the stores of ``keys`` now with their latest data (``Store.async_save``).

        A pending delayed save of the same store is then cancelled by the Store itself.
        """
        for key in keys:
            if (pending := self.pending.pop(key, None)) is not None:
                store, data_func = pending
                await store.async_save(data_func())

    def latest(self, key: str) -> tuple[Store[Any], Callable[[], Any]]:
        """The store of ``key`` and the data callable it was last given."""
        if (pending := self.pending.get(key)) is None:
            raise BenchError(
                f"the integration never asked Home Assistant's Store {key!r} for a delayed "
                "save (Store.async_delay_save) while vehicles were delivering: the save cost "
                "cannot be measured"
            )
        return pending
