"""``scripts/bench``: every measurement in order, the report and the JSON."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
from pathlib import Path
import platform
import sys
import tempfile
import time
from typing import TYPE_CHECKING, Any, Final

import aiohttp

from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.const import __version__ as HA_VERSION  # noqa: N812

from . import __doc__ as PACKAGE_DOC  # noqa: N812
from .day import DAY_DELIVERIES
from .memory import measure_memory, save_cost
from .payloads import load_all_signals
from .profiling import profile_handler
from .recorder import measure_recorder_day
from .report import print_report, targets
from .seams import BenchError, HandlerCapture, SaveWatcher, WriteCounter
from .server import (
    REPO,
    free_port,
    noop_handler,
    quiet_logging,
    reference_handler,
    register_yardstick,
    running_hass,
    setup_integration,
)
from .timing import Bench, Target

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

DEFAULT_JSON: Final = REPO / "bench-results.json"
SIGNAL_SIZES: Final = (8, 28, 85)
SCALING_VEHICLES: Final = (1, 10, 100)


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    """Counts and output path; --quick shortens everything for CI-like runs."""
    parser = argparse.ArgumentParser(
        prog="scripts/bench",
        description=(PACKAGE_DOC or "").split("\n\n", 1)[0],
    )
    parser.add_argument("--quick", action="store_true", help="short run (CI smoke test)")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help="results file")
    parser.add_argument("--iterations", type=int, help="measured deliveries per target")
    parser.add_argument("--warmup", type=int, help="unmeasured deliveries first")
    parser.add_argument("--block", type=int, help="deliveries per interleaved block")
    parser.add_argument("--vehicles", type=int, help="fleet size for memory and scaling")
    parser.add_argument(
        "--profile", type=int, default=0, help="cProfile this many deliveries (default: none)"
    )
    parser.add_argument(
        "--recorder",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="measure one vehicle-day in a SQLite recorder (default: on)",
    )
    parser.add_argument(
        "--recorder-deliveries",
        type=int,
        default=DAY_DELIVERIES,
        help=f"deliveries of the recorder's day, scaled to {DAY_DELIVERIES} (default: all)",
    )
    args = parser.parse_args(argv)
    defaults = (
        {"iterations": 300, "warmup": 30, "block": 50, "vehicles": 30}
        if args.quick
        else {"iterations": 2000, "warmup": 100, "block": 100, "vehicles": 100}
    )
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if args.vehicles < 11 or min(args.iterations, args.block, args.warmup) < 1:
        parser.error("--vehicles must be at least 11 and counts at least 1")
    if not 1 <= args.recorder_deliveries <= DAY_DELIVERIES:
        parser.error(f"--recorder-deliveries must be 1 to {DAY_DELIVERIES}")
    return args


@contextlib.asynccontextmanager
async def timing_bench(
    args: argparse.Namespace, config_dir: Path, capture: HandlerCapture, saves: SaveWatcher
) -> AsyncIterator[Bench]:
    """Home Assistant with the integration and the yardsticks, and a client session."""
    port = free_port()
    async with running_hass(config_dir, port, {}) as hass:
        ids = {
            "floor": register_yardstick(hass, "No-op", noop_handler),
            "reference": register_yardstick(hass, "Reference", reference_handler),
        }
        entry = await setup_integration(hass)
        ids["smartcar"] = entry.data[CONF_WEBHOOK_ID]
        owners = {"floor": "the bench", "reference": "the bench", "smartcar": "the integration"}
        bench_targets = {
            target: Target.of(capture.timed(webhook_id, owners[target]), webhook_id)
            for target, webhook_id in ids.items()
        }
        writes = WriteCounter(hass)
        try:
            async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1)) as session:
                await asyncio.sleep(1)  # let startup's timers and tasks settle
                yield Bench(
                    hass=hass,
                    entry=entry,
                    session=session,
                    base_url=f"http://127.0.0.1:{port}",
                    targets=bench_targets,
                    writes=writes,
                    saves=saves,
                    all_signals=load_all_signals(),
                    args=args,
                )
        finally:
            writes.close()


def scaling_row(record: dict[str, Any]) -> dict[str, Any]:
    """The scaling figures of one configuration record."""
    return {
        "vehicles": record["vehicles"],
        "round_trip_p50_us": record["smartcar"]["round_trip_p50_us"],
        "handler_p50_us": record["smartcar"]["handler_p50_us"],
        "handler_p99_us": record["smartcar"]["handler_p99_us"],
        "ratio_p50": record["ratio"]["round_trip_p50"],
    }


async def measure_timing(
    args: argparse.Namespace,
    config_dir: Path,
    capture: HandlerCapture,
    saves: SaveWatcher,
    phase: Callable[[str], None],
) -> dict[str, Any]:
    """Configurations, scaling, memory, the save and the optional profile.

    In the order that keeps the vehicle counts right: 1 vehicle, 10, then ``--vehicles``.
    """
    results: dict[str, Any] = {}
    async with timing_bench(args, config_dir, capture, saves) as bench:
        phase("start")
        await bench.add_vehicles(1)
        configurations = [
            await bench.measure(size, change=change)
            for change in (True, False)
            for size in SIGNAL_SIZES
        ]
        phase("configurations")
        if args.profile:
            results["profile"] = await profile_handler(bench, args.profile, config_dir)
            phase("profile")
        scaling = [next(r for r in configurations if r["signals"] == 85 and r["changed"])]
        await bench.add_vehicles(SCALING_VEHICLES[1] - 1)
        scaling.append(await bench.measure(85, change=True))
        phase("ten_vehicles")
        added = args.vehicles - len(bench.vehicles)
        results["memory"] = await measure_memory(bench, added, config_dir)
        phase("memory")
        scaling.append(await bench.measure(85, change=True))
        results["save"] = save_cost(bench)
        phase("all_vehicles")
    results["configurations"] = configurations + scaling[1:]
    results["scaling"] = [scaling_row(record) for record in scaling]
    return results


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Every measurement; the results.

    The recorder's Home Assistant gets an event loop of its own: a stopped Home Assistant
    leaves its loop refusing calls from other threads, which the recorder makes.
    """
    started = time.monotonic()
    load_before = round(os.getloadavg()[0], 2)
    capture = HandlerCapture()
    capture.install()
    saves = SaveWatcher()
    phases: dict[str, float] = {}

    def phase(name: str) -> None:
        phases[name] = round(time.monotonic() - started - sum(phases.values()), 1)

    try:
        with tempfile.TemporaryDirectory(prefix="smartcar-bench-") as tmp:
            root = Path(tmp)
            results = asyncio.run(measure_timing(args, root / "timing", capture, saves, phase))
            if args.recorder:
                results["recorder"] = asyncio.run(
                    measure_recorder_day(root / "recorder", capture, args.recorder_deliveries)
                )
                phase("recorder")
    finally:
        saves.close()
    results["environment"] = {
        "home_assistant": HA_VERSION,
        "python": platform.python_version(),
        "aiohttp": aiohttp.__version__,
        "cpus": os.cpu_count(),
        "load_before": load_before,
        "load_after": round(os.getloadavg()[0], 2),
        "seconds": time.monotonic() - started,
        "iterations": args.iterations,
        "warmup": args.warmup,
        "block": args.block,
        "phase_seconds": phases,
    }
    results["targets"] = targets(results)
    return results


def main(argv: list[str] | None = None) -> int:
    """Run, print, write the JSON; exit 2 with the reason when a measurement is impossible."""
    args = parse_arguments(argv)
    quiet_logging()
    try:
        results = run(args)
    except BenchError as err:
        print(f"scripts/bench: cannot measure: {err}", file=sys.stderr)
        return 2
    print_report(results)
    args.json.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nWrote {args.json}")
    return 0
