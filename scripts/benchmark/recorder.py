"""What one vehicle-day costs Home Assistant's recorder, in a real SQLite database.

A Home Assistant of its own, with ``recorder`` (``db_url`` a SQLite file in the config dir,
everything else default) and ``zone`` (home), receives one simulated day (day.py) through
the real webhook over loopback HTTP. Home Assistant's clock is simulated with freezegun:
each delivery happens inside its five-minute period, and ten seconds after each period
the recorder compiles the statistics of that period with the call its own five-minute
timer makes (long-term statistics with each full hour). The recorder's events of those
compiles ("statistics generated") are not recorded: they come with or without vehicles.

The database is measured (SQLite's dbstat: the pages of each table with its indexes, the
bytes used in them, row counts) after the vehicle's first delivery, which creates its
entities, and after the day; the difference is the vehicle-day. The target is on the
pages of the tables that hold what vehicles cause (VEHICLE_TABLES). Only default-enabled
entities write states. A shorter day (``--recorder-deliveries``) is scaled to 288
deliveries: its figures are rough, the pages most (one more page of a table counts 24
times in a 12-delivery day).
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
import sqlite3
from typing import TYPE_CHECKING, Any, Final

import aiohttp
import freezegun

from homeassistant import util as ha_util
from homeassistant.components import webhook
from homeassistant.const import (
    CONF_WEBHOOK_ID,
    EVENT_RECORDER_5MIN_STATISTICS_GENERATED,
    EVENT_RECORDER_HOURLY_STATISTICS_GENERATED,
)
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import event as event_helper
from homeassistant.helpers.recorder import get_instance as get_recorder
from homeassistant.util import dt as dt_util

from .day import DAY_DELIVERIES, DELIVERY_MINUTES, Car
from .payloads import SIGNATURE_HEADER, VehicleModel, electric_car_signals, sign
from .seams import BenchError, HandlerCapture
from .server import HOME, free_port, running_hass, setup_integration

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from homeassistant.core import HomeAssistant

DAY_START: Final = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday
PERIOD: Final = timedelta(minutes=DELIVERY_MINUTES)
DATABASE: Final = "home-assistant_v2.db"
# Per table, with its indexes: the bytes used in its pages (dbstat: page size less
# unused), the pages' bytes, its rows.
FIGURES: Final = ("bytes", "allocated_bytes", "rows")
# Tables that hold what vehicles cause; the rest is the recorder's own bookkeeping
# (statistics_runs, recorder_runs, schema_changes, migration_changes).
VEHICLE_TABLES: Final = (
    "states",
    "state_attributes",
    "states_meta",
    "statistics",
    "statistics_short_term",
    "statistics_meta",
    "events",
    "event_data",
    "event_types",
)


@contextlib.contextmanager
def simulated_clock(start: datetime) -> Iterator[Any]:
    """Home Assistant's clock frozen at ``start``, moved with ``move_to``; asyncio's real.

    Home Assistant binds ``utcnow`` as a partial, which freezegun cannot see: it is
    replaced by a plain function for the while, as Home Assistant's own tests do.
    """
    originals = (dt_util.utcnow, ha_util.utcnow, event_helper.time_tracker_utcnow)

    def utcnow() -> datetime:
        return datetime.now(UTC)

    dt_util.utcnow = ha_util.utcnow = event_helper.time_tracker_utcnow = utcnow  # type: ignore[assignment]
    try:
        with freezegun.freeze_time(start, real_asyncio=True) as frozen:
            yield frozen
    finally:
        dt_util.utcnow, ha_util.utcnow, event_helper.time_tracker_utcnow = originals


def periodic_statistics(hass: HomeAssistant) -> Callable[[], None]:
    """What the recorder's five-minute timer calls: compile the period that just ended."""
    compile_period: Callable[[], None] | None = getattr(
        get_recorder(hass), "async_periodic_statistics", None
    )
    if compile_period is None:
        raise BenchError(
            "the recorder has no async_periodic_statistics any more: the bench cannot "
            "compile the statistics of its simulated day"
        )
    return compile_period


def measure_database(path: Path, entity_ids: set[str]) -> dict[str, Any]:
    """Bytes per table (with its indexes), rows per table, state rows per entity."""
    connection = sqlite3.connect(path)
    try:
        owner = dict(
            connection.execute(
                "SELECT name, tbl_name FROM sqlite_master WHERE type IN ('table', 'index')"
            )
        )
        tables: dict[str, dict[str, int]] = {}
        for name, used, allocated in connection.execute(
            "SELECT name, SUM(pgsize - unused), SUM(pgsize) FROM dbstat GROUP BY name"
        ):
            figures = tables.setdefault(owner.get(name, name), dict.fromkeys(FIGURES, 0))
            figures["bytes"] += used
            figures["allocated_bytes"] += allocated
        for table, figures in tables.items():
            if table in owner.values() and not table.startswith("sqlite_"):
                count = f'SELECT COUNT(*) FROM "{table}"'  # noqa: S608 (names from sqlite_master)
                (figures["rows"],) = connection.execute(count).fetchone()
        per_entity = dict(
            connection.execute(
                "SELECT states_meta.entity_id, COUNT(*) FROM states "
                "JOIN states_meta ON states.metadata_id = states_meta.metadata_id "
                "GROUP BY states_meta.entity_id"
            )
        )
        events = dict(
            connection.execute(
                "SELECT event_types.event_type, COUNT(*) FROM events "
                "JOIN event_types ON events.event_type_id = event_types.event_type_id "
                "GROUP BY event_types.event_type"
            )
        )
        (page_size,) = connection.execute("PRAGMA page_size").fetchone()
        (pages,) = connection.execute("PRAGMA page_count").fetchone()
    except sqlite3.Error as err:
        raise BenchError(f"reading the recorder's database failed: {err}") from err
    finally:
        connection.close()
    return {
        "file_bytes": page_size * pages,
        "tables": tables,
        "events": events,
        "vehicle_states": {key: count for key, count in per_entity.items() if key in entity_ids},
    }


def difference(before: dict[str, Any], after: dict[str, Any], scale: float) -> dict[str, Any]:
    """What the day added, scaled from the deliveries made to a whole day."""
    tables = {
        table: {
            key: (figures[key] - before["tables"].get(table, {}).get(key, 0)) * scale
            for key in FIGURES
        }
        for table, figures in after["tables"].items()
    }
    states = {
        entity_id: (count - before["vehicle_states"].get(entity_id, 0)) * scale
        for entity_id, count in after["vehicle_states"].items()
    }
    return {
        "file_bytes": (after["file_bytes"] - before["file_bytes"]) * scale,
        **{
            f"vehicle_{key}": sum(tables.get(name, {}).get(key, 0) for name in VEHICLE_TABLES)
            for key in ("bytes", "allocated_bytes")
        },
        "tables": tables,
        "events": {
            event_type: (count - earlier) * scale
            for event_type, count in after["events"].items()
            if count != (earlier := before["events"].get(event_type, 0))
        },
        "state_rows": sum(states.values()),
        "state_rows_by_entity": dict(sorted(states.items(), key=lambda item: -item[1])),
    }


async def measure_recorder_day(
    config_dir: Path, capture: HandlerCapture, deliveries: int
) -> dict[str, Any]:
    """One simulated day (or ``deliveries`` of it) for one vehicle; the database's growth."""
    database = config_dir / DATABASE
    recorder = {
        "db_url": f"sqlite:///{database}",
        "exclude": {
            "event_types": [
                EVENT_RECORDER_5MIN_STATISTICS_GENERATED,
                EVENT_RECORDER_HOURLY_STATISTICS_GENERATED,
            ]
        },
    }
    components = {"zone": {}, "recorder": {"recorder": recorder}}
    port = free_port()
    # The vehicle appears in the last period before the day.
    with simulated_clock(DAY_START - 2 * PERIOD) as clock:
        async with (
            running_hass(config_dir, port, components) as hass,
            aiohttp.ClientSession() as session,
        ):
            entry = await setup_integration(hass)
            webhook_id = entry.data[CONF_WEBHOOK_ID]
            capture.timed(webhook_id, "the integration")  # registered as the bench expects
            url = f"http://127.0.0.1:{port}{webhook.async_generate_path(webhook_id)}"
            instance, compile_period = get_recorder(hass), periodic_statistics(hass)
            model = VehicleModel.create(0, electric_car_signals())
            car = Car(model.bodies, (HOME["latitude"], HOME["longitude"]))

            async def deliver(at: datetime, codes: list[str]) -> None:
                clock.move_to(at)
                at_ms = int(at.timestamp() * 1000)
                for code in codes:
                    model.stamps[code] = at_ms - 30_000  # measured half a minute before
                body = model.render(
                    list(model.bodies), triggers=tuple(codes), retrieved_at_ms=at_ms
                )
                headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(body)}
                async with session.post(url, data=body, headers=headers) as response:
                    answer = await response.read()
                if b'"applied"' not in answer:
                    raise BenchError(
                        f"the integration answered {response.status}: {answer[:200]!r}"
                    )
                await hass.async_block_till_done()

            async def compile_statistics(period_start: datetime) -> None:
                clock.move_to(period_start + PERIOD + timedelta(seconds=10))
                compile_period()
                await instance.async_block_till_done()

            await deliver(DAY_START - PERIOD / 2, list(model.bodies))
            await compile_statistics(DAY_START - PERIOD)
            entity_ids = _entity_ids(hass, entry.entry_id)
            before = measure_database(database, entity_ids)
            for slot in range(deliveries):
                period_start = DAY_START + slot * PERIOD
                await deliver(period_start + PERIOD / 2, car.advance(slot))
                await compile_statistics(period_start)
            after = measure_database(database, entity_ids)
    return {
        "deliveries": deliveries,
        "scaled_to_day": deliveries != DAY_DELIVERIES,
        "entities_with_state": len(entity_ids),
        "database_after_first_delivery": before,
        "database_after_day": after,
        "measured": difference(before, after, 1),
        "per_vehicle_day": difference(before, after, DAY_DELIVERIES / deliveries),
    }


def _entity_ids(hass: HomeAssistant, entry_id: str) -> set[str]:
    entries = er.async_entries_for_config_entry(er.async_get(hass), entry_id)
    return {entry.entity_id for entry in entries if hass.states.get(entry.entity_id) is not None}
