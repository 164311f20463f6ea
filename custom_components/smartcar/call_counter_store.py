"""The monthly API calls of a Connect entry's vehicles, kept in Home Assistant's storage.

One file per entry (``.storage/smartcar.<entry_id>.api_calls``), so that a restart does not
start the month's count again: the count is what stops Home Assistant before Smartcar's
plan limit. Saved shortly after each call, like the fleet.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from homeassistant.helpers.storage import Store

from .const import DOMAIN, SAVE_DELAY_SECONDS
from .monthly_call_counter import MonthlyCallCounter

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

CALLS_STORAGE_VERSION: Final = 1


class CallCounterStore:
    """The storage file of one entry's call counter."""

    def __init__(self, store: Store[dict[str, Any]]) -> None:
        """Keep the counter in ``store``; ``async_load`` reads the counter it then saves."""
        self._store = store
        self._counter = MonthlyCallCounter()

    async def async_load(self) -> MonthlyCallCounter:
        """The stored counter; a count of another month, or none, starts at zero."""
        self._counter = MonthlyCallCounter.from_dict(await self._store.async_load() or {})
        return self._counter

    def schedule_save(self) -> None:
        """Save within SAVE_DELAY_SECONDS of the last call.

        Each call postpones the write; calls are few (the plan allows hundreds a month), so
        a stream of them that never lets the write happen does not occur.
        """
        self._store.async_delay_save(self._counter.as_dict, SAVE_DELAY_SECONDS)

    async def async_flush(self) -> None:
        """Write the counter now (on unload)."""
        await self._store.async_save(self._counter.as_dict())

    async def async_remove(self) -> None:
        """Delete the file (the entry is removed)."""
        await self._store.async_remove()


def call_counter_store(hass: HomeAssistant, entry_id: str) -> CallCounterStore:
    """The storage of one entry's call counter."""
    return CallCounterStore(Store(hass, CALLS_STORAGE_VERSION, f"{DOMAIN}.{entry_id}.api_calls"))
