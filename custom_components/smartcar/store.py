"""The fleet in Home Assistant's storage: one file per entry, saved shortly after changes.

``fleet_as_dict`` and ``fleet_from_dict`` turn a fleet into JSON-safe data and back; the
stored format is that of the first release, and whatever part of a stored file cannot be
read is skipped rather than refused. A file that cannot be read at all never stops the
entry: it starts with no values, keeps a copy of the file, logs why and tells the user.
"""

from __future__ import annotations

from enum import StrEnum
import os
from typing import TYPE_CHECKING, Any, Final

from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .const import DOMAIN, LOGGER, SAVE_DELAY_SECONDS, STORAGE_VERSION
from .fleet import Fleet, SignalState, Vehicle
from .freshness import now_ms
from .issues import STORAGE_LOST, async_set_issue, entry_issue_id
from .plausibility import plausible
from .protocol import SignalError, model_year
from .timestamps import parse_timestamp, trusted_time
from .vehicle_errors import as_dict, from_dict

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

# The newest event ids kept in storage with the values, so that Smartcar's retry of an
# event applied just before a restart (it retries for about 3 minutes: 25, 50 and 100 s)
# is still known as a duplicate: at 100 vehicles delivering every minute, that window.
STORED_EVENTS_LIMIT: Final = 512

type StoredData = dict[str, Any]


class StorageProblem(StrEnum):
    """Why the stored values could not be loaded."""

    # Home Assistant refused the file: of a newer version (after a downgrade), without
    # its envelope, or of a version this release cannot migrate.
    UNREADABLE = "unreadable"
    # Valid JSON that is not a stored fleet.
    WRONG_SHAPE = "wrong shape"
    # Not JSON (truncated, emptied): Home Assistant moved it aside itself.
    CORRUPT = "corrupt"


class FleetStore:
    """The storage file of one entry's fleet.

    Store.async_delay_save alone postpones the write on every call, so a steady stream of
    deliveries would never be saved; one pending save at a time keeps the file at most
    SAVE_DELAY_SECONDS behind the first unsaved change.
    """

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """The file of entry ``entry_id``; ``async_load`` reads the fleet it then saves."""
        self._hass = hass
        self._entry_id = entry_id
        self._store: Store[StoredData] = Store(hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}")
        self._fleet = Fleet(plausible=plausible)
        self._save_pending = False
        self.problem: StorageProblem | None = None

    async def async_load(self) -> Fleet:
        """The stored fleet; an empty one when nothing usable is stored.

        A file that cannot be read sets ``problem``: it is logged, kept aside (Home
        Assistant moves a corrupt one itself) and the user is told by a repair, which the
        next start that reads the file removes.
        """
        corrupt_before = self._corrupt_file_issues()
        data: Any = None
        try:
            data = await self._store.async_load()
        except Exception as err:  # noqa: BLE001 (whatever Store raises, the entry starts)
            self.problem = StorageProblem.UNREADABLE
            reason = f"{type(err).__name__}: {err}"
        else:
            if self._corrupt_file_issues() - corrupt_before:
                self.problem = StorageProblem.CORRUPT
                reason = "not JSON"
            elif data is not None and not _is_stored_fleet(data):
                self.problem = StorageProblem.WRONG_SHAPE
                reason = f"a {type(data).__name__} without vehicles"
                data = None
        if self.problem is not None:
            kept = (
                await self._async_keep_aside()
                if self.problem is not StorageProblem.CORRUPT
                else None
            )
            LOGGER.warning(
                "The stored values of %s could not be read (%s, %s); starting without them%s",
                self._entry_title,
                self.problem,
                reason,
                f"; the file was kept as {kept}" if kept else "",
            )
        async_set_issue(
            self._hass,
            entry_issue_id(STORAGE_LOST, self._entry_id),
            active=self.problem is not None,
            translation_key=STORAGE_LOST,
            placeholders={"entry": self._entry_title},
            severity=ir.IssueSeverity.WARNING,
        )
        self._fleet = fleet_from_dict(data)
        return self._fleet

    @property
    def _entry_title(self) -> str:
        entry = self._hass.config_entries.async_get_entry(self._entry_id)
        return entry.title if entry is not None else self._entry_id

    def _corrupt_file_issues(self) -> set[str]:
        """Home Assistant's repairs for this file, which it creates as it moves one aside."""
        prefix = f"storage_corruption_{self._store.key}_"
        return {
            issue_id
            for domain, issue_id in ir.async_get(self._hass).issues
            if domain == "homeassistant" and issue_id.startswith(prefix)
        }

    async def _async_keep_aside(self) -> str | None:
        """Move an unreadable file out of the way of the next save, as Home Assistant does."""
        path = self._store.path
        kept = f"{path}.unreadable.{dt_util.utcnow().isoformat()}"
        try:
            await self._hass.async_add_executor_job(os.replace, path, kept)
        except OSError as err:
            LOGGER.warning("Could not keep %s aside: %s", path, err)
            return None
        return kept

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
    return FleetStore(hass, entry_id)


def _is_stored_fleet(data: Any) -> bool:
    """Whether loaded data has the shape ``fleet_as_dict`` writes (its parts may not)."""
    return isinstance(data, dict) and isinstance(data.get("vehicles"), dict)


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
    """Rebuild a fleet from ``fleet_as_dict`` output; malformed parts are skipped.

    What the fleet would refuse from a delivery is refused from a file too: a body that
    is not plausible, a time outside reason or in the future (which would hold back every
    later value).
    """
    stored = _dict(data)
    now = now_ms()
    return Fleet(
        vehicles={
            vehicle_id: _vehicle_from_dict(vehicle_id, vehicle, now)
            for vehicle_id, vehicle in _dict(stored.get("vehicles")).items()
            if isinstance(vehicle, dict)
        },
        seen_events=[
            event_id
            for event_id in _list(stored.get("recent_events"))[-STORED_EVENTS_LIMIT:]
            if isinstance(event_id, str)
        ],
        plausible=plausible,
    )


def _vehicle_from_dict(vehicle_id: str, stored: dict[str, Any], now: int) -> Vehicle:
    vehicle = Vehicle(
        id=vehicle_id,
        make=_text_or_none(stored.get("make")),
        model=_text_or_none(stored.get("model")),
        year=model_year(stored.get("year")),
        last_delivery_at=_time_or_none(stored.get("last_delivery_at")),
    )
    for code, signal in _dict(stored.get("signals")).items():
        if isinstance(signal, dict):
            vehicle.signals[code] = _state_from_dict(code, signal, now)
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


def _state_from_dict(code: str, stored: dict[str, Any], now: int) -> SignalState:
    body, error = stored.get("body"), stored.get("error")
    return SignalState(
        body=body if isinstance(body, dict) and plausible(code, body) else None,
        error=SignalError(
            type=_text_or_none(error.get("type")), code=_text_or_none(error.get("code"))
        )
        if isinstance(error, dict)
        else None,
        recorded_at=_time_or_none(stored.get("recorded_at")),
        retrieved_at=_time_or_none(stored.get("retrieved_at")),
        # A stamp far in the future (stored by an earlier release) would hold back every
        # later value: it orders nothing, as in a delivery.
        newest_seen_at=trusted_time(_time_or_none(stored.get("stamp")), now) or 0,
    )


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _time_or_none(value: Any) -> int | None:
    """A stored time in milliseconds, unless outside reason (``parse_timestamp``)."""
    return parse_timestamp(value) if isinstance(value, int) else None


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
