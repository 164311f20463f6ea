"""The fleet in Home Assistant's storage: one file per entry, saved shortly after changes.

``fleet_as_dict`` and ``fleet_from_dict`` turn a fleet into JSON-safe data and back; the
stored format is that of the first release, and whatever part of a stored file cannot be
read is skipped rather than refused.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from homeassistant.helpers.storage import Store

from .const import DOMAIN, SAVE_DELAY_SECONDS, STORAGE_VERSION
from .fleet import Fleet, SignalState, Vehicle
from .protocol import SignalError
from .vehicle_errors import as_dict, from_dict

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

# The newest event ids kept in storage with the values, so that Smartcar's retry of an
# event applied just before a restart (it retries for about 3 minutes: 25, 50 and 100 s)
# is still known as a duplicate: at 100 vehicles delivering every minute, that window.
STORED_EVENTS_LIMIT: Final = 512

type StoredData = dict[str, Any]


class FleetStore:
    """The storage file of one entry's fleet.

    Store.async_delay_save alone postpones the write on every call, so a steady stream of
    deliveries would never be saved; one pending save at a time keeps the file at most
    SAVE_DELAY_SECONDS behind the first unsaved change.
    """

    def __init__(self, store: Store[StoredData]) -> None:
        """Keep the fleet in ``store``; ``async_load`` reads the fleet it then saves."""
        self._store = store
        self._fleet = Fleet()
        self._save_pending = False

    async def async_load(self) -> Fleet:
        """The stored fleet (an empty one when nothing usable is stored)."""
        self._fleet = fleet_from_dict(await self._store.async_load())
        return self._fleet

    def schedule_save(self) -> None:
        """Save within SAVE_DELAY_SECONDS, unless a save is pending already."""
        if not self._save_pending:
            self._save_pending = True
            self._store.async_delay_save(self._data_to_save, SAVE_DELAY_SECONDS)

    def _data_to_save(self) -> StoredData:
        self._save_pending = False
        return fleet_as_dict(self._fleet)

    async def async_flush(self) -> None:
        """Write the fleet now (on unload), instead of within the save delay."""
        await self._store.async_save(fleet_as_dict(self._fleet))

    async def async_remove(self) -> None:
        """Delete the file (the entry is removed)."""
        await self._store.async_remove()


def fleet_store(hass: HomeAssistant, entry_id: str) -> FleetStore:
    """The storage of one entry's fleet."""
    return FleetStore(Store(hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}"))


def fleet_as_dict(fleet: Fleet) -> StoredData:
    """A JSON-safe snapshot of every vehicle's values and the newest event ids."""
    return {
        "vehicles": {
            vehicle.id: {
                "make": vehicle.make,
                "model": vehicle.model,
                "year": vehicle.year,
                "last_delivery_at": vehicle.last_delivery_at,
                "signals": {code: _state_as_dict(state) for code, state in vehicle.signals.items()},
                "errors": [as_dict(item) for item in vehicle.errors.values()],
                "blocked": {code: list(key) for code, key in vehicle.blocked.items()},
            }
            for vehicle in fleet.vehicles.values()
        },
        "recent_events": fleet.recent_events(STORED_EVENTS_LIMIT),
    }


def fleet_from_dict(data: Any) -> Fleet:
    """Rebuild a fleet from ``fleet_as_dict`` output; malformed parts are skipped."""
    stored = _dict(data)
    return Fleet(
        vehicles={
            vehicle_id: _vehicle_from_dict(vehicle_id, vehicle)
            for vehicle_id, vehicle in _dict(stored.get("vehicles")).items()
            if isinstance(vehicle, dict)
        },
        seen_events=[
            event_id
            for event_id in _list(stored.get("recent_events"))[-STORED_EVENTS_LIMIT:]
            if isinstance(event_id, str)
        ],
    )


def _vehicle_from_dict(vehicle_id: str, stored: dict[str, Any]) -> Vehicle:
    vehicle = Vehicle(
        id=vehicle_id,
        make=_text_or_none(stored.get("make")),
        model=_text_or_none(stored.get("model")),
        year=_int_or_none(stored.get("year")),
        last_delivery_at=_int_or_none(stored.get("last_delivery_at")),
    )
    for code, signal in _dict(stored.get("signals")).items():
        if isinstance(signal, dict):
            vehicle.signals[code] = _state_from_dict(signal)
    for error in _list(stored.get("errors")):
        if isinstance(error, dict):
            item = from_dict(error)
            vehicle.errors[(item.type, item.code)] = item
    for code, key in _dict(stored.get("blocked")).items():
        if _is_error_key(key):
            vehicle.blocked[code] = (key[0], key[1])
    return vehicle


def _state_as_dict(state: SignalState) -> dict[str, Any]:
    stored: dict[str, Any] = {
        "body": state.body,
        "recorded_at": state.recorded_at,
        "retrieved_at": state.retrieved_at,
        # The first release's name for the newest ordering time seen.
        "stamp": state.newest_seen_at,
    }
    if state.error is not None:
        stored["error"] = {"type": state.error.type, "code": state.error.code}
    return stored


def _state_from_dict(stored: dict[str, Any]) -> SignalState:
    body, error = stored.get("body"), stored.get("error")
    return SignalState(
        body=body if isinstance(body, dict) else None,
        error=SignalError(
            type=_text_or_none(error.get("type")), code=_text_or_none(error.get("code"))
        )
        if isinstance(error, dict)
        else None,
        recorded_at=_int_or_none(stored.get("recorded_at")),
        retrieved_at=_int_or_none(stored.get("retrieved_at")),
        newest_seen_at=_int_or_none(stored.get("stamp")) or 0,
    )


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _is_error_key(value: Any) -> bool:
    """Whether a stored blocked entry is a ``[type, code]`` pair of texts or nulls."""
    return (
        isinstance(value, list)
        and len(value) == 2  # noqa: PLR2004 (type, code)
        and all(part is None or isinstance(part, str) for part in value)
    )
