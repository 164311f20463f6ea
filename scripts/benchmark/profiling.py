"""An optional cProfile of the integration's handler (``--profile N``).

The profiler runs only while the handler Home Assistant calls runs, so the sum of every
function's own time is the handler's time: it is the denominator of the percentages.
cProfile inflates functions with many small calls; the timing section is the measurement.
"""

from __future__ import annotations

import cProfile
import os
import pstats
from typing import TYPE_CHECKING, Any

from .memory import short_path
from .seams import BenchError

if TYPE_CHECKING:
    from pathlib import Path

    from .timing import Bench

BENCH_DIR = os.path.dirname(__file__)  # noqa: PTH120 (compared with cProfile's str paths)


def profile_rows(stats: pstats.Stats, config_dir: Path, limit: int) -> dict[str, Any]:
    """Functions by cumulative and by own time, as % of the time profiled."""
    table: dict[tuple[str, int, str], tuple[int, int, float, float, Any]] = {
        key: value
        for key, value in stats.stats.items()  # type: ignore[attr-defined]
        if not key[0].startswith(BENCH_DIR) and "_lsprof" not in key[2]
    }
    total = sum(value[2] for value in table.values())
    if not total:
        raise BenchError("the profile of the handler is empty")

    def rows(index: int) -> list[dict[str, Any]]:
        ordered = sorted(table.items(), key=lambda item: item[1][index], reverse=True)
        return [
            {
                "function": f"{short_path(file, config_dir)}:{line}({function})",
                "calls": value[1],
                "own_pct": 100 * value[2] / total,
                "cumulative_pct": 100 * value[3] / total,
            }
            for (file, line, function), value in ordered[:limit]
        ]

    return {"handler_seconds": total, "by_cumulative": rows(3), "by_own_time": rows(2)}


async def profile_handler(bench: Bench, deliveries: int, config_dir: Path) -> dict[str, Any]:
    """Profile the integration's handler over 85-signal deliveries, two values changed."""
    bodies = bench.vehicles[0].deliveries(list(bench.all_signals), deliveries, change=True)
    handler = bench.targets["smartcar"].handler
    handler.profiler = profiler = cProfile.Profile()
    try:
        await bench.send("smartcar", bodies, None)
    finally:
        handler.profiler = None
    result = profile_rows(pstats.Stats(profiler), config_dir, 25)
    result["deliveries"] = deliveries
    return result
