"""What vehicles hold in memory, and what the integration's delayed save costs."""

from __future__ import annotations

import gc
import linecache
import os
import time
import tracemalloc
from typing import TYPE_CHECKING, Any

from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.json import prepare_save_json

from .seams import DOMAIN

if TYPE_CHECKING:
    from pathlib import Path

    from .timing import Bench


def short_path(path: str, config_dir: Path) -> str:
    """A file name without the virtualenv's or the temporary config dir's prefix."""
    for prefix in (str(config_dir) + os.sep, "site-packages" + os.sep):
        if prefix in path:
            return path.split(prefix, 1)[1]
    return path


def _is_integration(filename: str) -> bool:
    return f"custom_components{os.sep}{DOMAIN}{os.sep}" in filename


async def measure_memory(bench: Bench, count: int, config_dir: Path) -> dict[str, Any]:
    """Add ``count`` vehicles under tracemalloc; what they hold, per vehicle."""
    hass = bench.hass
    await hass.async_block_till_done()
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.take_snapshot()
        await bench.add_vehicles(count)
        gc.collect()
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    by_file = after.compare_to(before, "filename")
    total = sum(stat.size_diff for stat in by_file)
    integration = sum(
        stat.size_diff for stat in by_file if _is_integration(stat.traceback[0].filename)
    )
    top_files = [
        {
            "file": short_path(stat.traceback[0].filename, config_dir),
            "bytes_per_vehicle": stat.size_diff / count,
        }
        for stat in by_file[:12]
    ]
    top_lines = [
        {
            "line": f"{short_path(frame.filename, config_dir)}:{frame.lineno}",
            "source": linecache.getline(frame.filename, frame.lineno).strip(),
            "bytes_per_vehicle": stat.size_diff / count,
        }
        for stat in after.compare_to(before, "lineno")
        if _is_integration((frame := stat.traceback[0]).filename)
    ][:10]
    registry = er.async_get(hass)
    entities = er.async_entries_for_config_entry(registry, bench.entry.entry_id)
    states = [entry for entry in entities if hass.states.get(entry.entity_id) is not None]
    vehicles = len(bench.vehicles)
    return {
        "vehicles_added": count,
        "vehicles_present": vehicles,
        "bytes_per_vehicle": total / count,
        "integration_code_bytes_per_vehicle": integration / count,
        "registry_entities_per_vehicle": len(entities) / vehicles,
        "states_per_vehicle": len(states) / vehicles,
        "top_files": top_files,
        "integration_top_lines": top_lines,
        "counted": (
            "tracemalloc: bytes allocated while the vehicles were added (one 85-signal "
            "delivery each, entities created, registries and states written) and still "
            "held afterwards, after gc.collect(), divided by the vehicles added"
        ),
    }


def save_cost(bench: Bench, rounds: int = 5) -> dict[str, Any]:
    """What the integration's delayed save costs in the event loop, with every vehicle.

    When the delay is over, Home Assistant's Store calls the data callable the integration
    gave ``Store.async_delay_save`` and serialises the result, both in the event loop; this
    does the same with the callable last given, ``rounds`` times.
    """
    store, data_func = bench.saves.latest(f"{DOMAIN}.{bench.entry.entry_id}")
    elapsed = []
    for _ in range(rounds):
        start = time.perf_counter_ns()
        envelope = {
            "version": store.version,
            "minor_version": store.minor_version,
            "key": store.key,
            "data": data_func(),
        }
        _, text = prepare_save_json(envelope)
        elapsed.append(time.perf_counter_ns() - start)
    return {
        "vehicles": len(bench.vehicles),
        "event_loop_ms": min(elapsed) / 1e6,
        "json_bytes": len(text),
        "delayed_saves_asked": bench.saves.calls[store.key],
        "deliveries": bench.delivered,
    }
