"""Whether each vehicle keeps reporting: a timer per vehicle and the "not reporting" repair."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
import time
from typing import TYPE_CHECKING

from homeassistant.core import CALLBACK_TYPE, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.util import dt as dt_util

from .const import CONF_STALE_AFTER, DEFAULT_STALE_AFTER, LOGGER
from .issues import NOT_REPORTING, async_set_issue, vehicle_issue_prefix

if TYPE_CHECKING:
    from collections.abc import Callable

    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant

    from .devices import Devices
    from .fleet import Fleet


class Freshness:
    """Reporting means: a delivery within the entry's timeout, and Smartcar reaches the car.

    ``on_change`` is called with a vehicle's id whenever its reporting state flips, so its
    "Reporting" entity updates.
    """

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        fleet: Fleet,
        devices: Devices,
        on_change: Callable[[str], None],
    ) -> None:
        """Follow the fleet's vehicles; ``check`` each one to start."""
        self._hass = hass
        self._fleet = fleet
        self._devices = devices
        self._on_change = on_change
        self._timers: dict[str, CALLBACK_TYPE] = {}
        self._not_reporting: set[str] = set()
        self._reporting: dict[str, bool] = {}
        # How long without a delivery before a vehicle counts as not reporting: an option,
        # read once (changing it reloads the entry); in milliseconds, as the fleet's times.
        hours = entry.options.get(CONF_STALE_AFTER)
        self._stale_after = timedelta(hours=hours) if hours else DEFAULT_STALE_AFTER
        self._stale_after_ms = int(self._stale_after.total_seconds() * 1000)

    def is_reporting(self, vehicle_id: str) -> bool:
        """Whether deliveries keep arriving and Smartcar can reach the car."""
        vehicle = self._fleet.vehicles.get(vehicle_id)
        if vehicle is None or vehicle.last_delivery_at is None or vehicle.out_of_reach:
            return False
        return now_ms() < self._stale_at_ms(vehicle.last_delivery_at)

    def _stale_at_ms(self, last_delivery_at: int) -> int:
        return last_delivery_at + self._stale_after_ms

    @callback
    def check(self, vehicle_id: str) -> None:
        """Bring the "Reporting" state, the timer and the repair in step with the vehicle."""
        vehicle = self._fleet.vehicles.get(vehicle_id)
        if vehicle is None:
            return
        reporting = self.is_reporting(vehicle_id)
        if self._reporting.get(vehicle_id) != reporting:
            self._reporting[vehicle_id] = reporting
            self._on_change(vehicle_id)
        if vehicle.last_delivery_at is None:
            return
        stale_at = self._stale_at_ms(vehicle.last_delivery_at)
        stale = now_ms() >= stale_at
        if not stale and vehicle_id not in self._timers:
            self._timers[vehicle_id] = async_track_point_in_utc_time(
                self._hass,
                partial(self._handle_timer, vehicle_id),
                dt_util.utc_from_timestamp(stale_at / 1000),
            )
        if stale == (vehicle_id in self._not_reporting):
            return  # the repair already says so (checked on every delivery: keep it cheap)
        name = self._devices.name(vehicle)
        hours = int(self._stale_after.total_seconds() // 3600)
        if stale:
            self._not_reporting.add(vehicle_id)
            LOGGER.info("%s stopped reporting: no delivery from Smartcar for %s hours", name, hours)
        else:
            self._not_reporting.discard(vehicle_id)
            LOGGER.info("%s is reporting again", name)
        self._reporting.pop(vehicle_id, None)
        async_set_issue(
            self._hass,
            vehicle_issue_prefix(NOT_REPORTING, vehicle_id),
            active=stale,
            translation_key=NOT_REPORTING,
            placeholders={"vehicle": name, "hours": str(hours)},
            severity=ir.IssueSeverity.WARNING,
        )

    @callback
    def _handle_timer(self, vehicle_id: str, _now: datetime) -> None:
        # Deliveries since the timer was set moved the deadline; checking re-arms it.
        del self._timers[vehicle_id]
        self.check(vehicle_id)

    @callback
    def forget(self, vehicle_id: str) -> None:
        """The user removed the vehicle: no timer, no repair."""
        if (cancel := self._timers.pop(vehicle_id, None)) is not None:
            cancel()
        self._not_reporting.discard(vehicle_id)
        async_set_issue(
            self._hass,
            vehicle_issue_prefix(NOT_REPORTING, vehicle_id),
            active=False,
            translation_key=NOT_REPORTING,
        )

    @callback
    def cancel(self) -> None:
        """Stop every timer (the entry unloads)."""
        for cancel in self._timers.values():
            cancel()
        self._timers.clear()


def now_ms() -> int:
    """Now, in milliseconds since the epoch: the fleet's unit of time."""
    return int(time.time() * 1000)
