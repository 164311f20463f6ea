"""Round trips and handler times of the floor, the integration and the reference.

Signed bodies are POSTed over loopback with one keep-alive aiohttp session, one request in
flight. The three handlers receive the very same bytes, in interleaved blocks (each going
first in turn), so that background load on the machine affects them alike: the ratios
within one run are the result, absolute times are not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import gc
import math
import statistics
import time
from typing import TYPE_CHECKING, Any, Final

from homeassistant.components import webhook
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er

from .payloads import SIGNATURE_HEADER, VehicleModel, subset
from .seams import BenchError, SaveWatcher, TimedHandler, WriteCounter

if TYPE_CHECKING:
    import argparse

    import aiohttp

    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant

    from .payloads import Signed

TARGETS: Final = ("floor", "smartcar", "reference")
REGISTRY_STORES: Final = (er.STORAGE_KEY, dr.STORAGE_KEY)


def percentile(samples: list[int], fraction: float) -> float:
    """The nearest-rank percentile of nanosecond samples, in microseconds."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1] / 1000


@dataclass
class Series:
    """Round trips and handler times of one target in one configuration (nanoseconds)."""

    round_trips: list[int] = field(default_factory=list)
    handler: list[int] = field(default_factory=list)

    def summary(self) -> dict[str, float]:
        """Deliveries per second and p50/p99 of round trip and handler time, in µs."""
        total = sum(self.round_trips)
        return {
            "deliveries": len(self.round_trips),
            "per_second": len(self.round_trips) / (total / 1e9) if total else 0.0,
            "round_trip_mean_us": total / len(self.round_trips) / 1000,
            "round_trip_p50_us": percentile(self.round_trips, 0.5),
            "round_trip_p99_us": percentile(self.round_trips, 0.99),
            "handler_p50_us": percentile(self.handler, 0.5),
            "handler_p99_us": percentile(self.handler, 0.99),
        }


@dataclass
class Target:
    """One webhook the bench posts to: its timed handler and its path."""

    handler: TimedHandler
    path: str

    @classmethod
    def of(cls, handler: TimedHandler, webhook_id: str) -> Target:
        """The target of a handler registered for ``webhook_id``."""
        return cls(handler, webhook.async_generate_path(webhook_id))


@dataclass
class Bench:
    """Everything a timing run shares: the core, the three targets, the client, vehicles."""

    hass: HomeAssistant
    entry: ConfigEntry[Any]
    session: aiohttp.ClientSession
    base_url: str
    targets: dict[str, Target]
    writes: WriteCounter
    saves: SaveWatcher
    all_signals: dict[str, dict[str, Any]]
    args: argparse.Namespace
    vehicles: list[VehicleModel] = field(default_factory=list)
    delivered: int = 0  # to the integration, all told

    async def post(self, path: str, signed: Signed) -> tuple[int, bytes]:
        """POST one delivery; the round trip in ns and the answer's body."""
        body, signature = signed
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: signature}
        start = time.perf_counter_ns()
        async with self.session.post(self.base_url + path, data=body, headers=headers) as resp:
            answer = await resp.read()
        elapsed = time.perf_counter_ns() - start
        if resp.status != 200:
            raise BenchError(f"{path} answered {resp.status}: {answer[:200]!r}")
        return elapsed, answer

    async def send(self, target: str, bodies: list[Signed], series: Series | None) -> None:
        """Send bodies one at a time to a target; add the times to ``series``."""
        handler, path = self.targets[target].handler, self.targets[target].path
        handler.samples = []
        self.writes.active = series is not None and target == "smartcar"
        round_trips = []
        for signed in bodies:
            elapsed, answer = await self.post(path, signed)
            round_trips.append(elapsed)
            if target == "smartcar":
                self.delivered += 1
                if b'"applied"' not in answer:
                    raise BenchError(f"the integration answered {answer[:200]!r}")
        self.writes.active = False
        if series is not None:
            series.round_trips += round_trips
            series.handler += handler.samples

    async def add_vehicles(self, count: int) -> None:
        """Deliver one full payload for each of ``count`` new vehicles.

        New entities schedule registry saves 10 s later; such a save serialises every entity
        in the event loop, a one-off cost of setup that would land in some later delivery's
        time. The registries are written at once instead.
        """
        codes = list(self.all_signals)
        for _ in range(count):
            model = VehicleModel.create(len(self.vehicles), self.all_signals)
            self.vehicles.append(model)
            await self.send("smartcar", model.deliveries(codes, 1, change=False), None)
            await self.hass.async_block_till_done()
        await self.saves.async_save_now(REGISTRY_STORES)
        await self.hass.async_block_till_done()

    async def measure(self, size: int, *, change: bool) -> dict[str, Any]:
        """One configuration on the first vehicle: the three targets, interleaved."""
        args = self.args
        model = self.vehicles[0]
        codes = subset(list(self.all_signals), size)
        warmup = model.deliveries(codes, args.warmup, change=change)
        for target in TARGETS:
            await self.send(target, warmup, None)
        series = {target: Series() for target in TARGETS}
        gc.collect()
        payload_bytes = []
        for number in range(max(1, math.ceil(args.iterations / args.block))):
            bodies = model.deliveries(codes, args.block, change=change)
            payload_bytes += [len(body) for body, _ in bodies]
            shift = number % len(TARGETS)  # each target goes first, second and last in turn
            for target in TARGETS[shift:] + TARGETS[:shift]:
                await self.send(target, bodies, series[target])
        summaries = {target: series[target].summary() for target in TARGETS}
        floor, smartcar, reference = (summaries[target] for target in TARGETS)
        return {
            "signals": size,
            "changed": 2 if change else 0,
            "vehicles": len(self.vehicles),
            "payload_bytes": round(statistics.mean(payload_bytes)),
            **summaries,
            "ratio": {
                "round_trip_p50": smartcar["round_trip_p50_us"] / floor["round_trip_p50_us"],
                "round_trip_mean": smartcar["round_trip_mean_us"] / floor["round_trip_mean_us"],
                "round_trip_p99": smartcar["round_trip_p99_us"] / floor["round_trip_p99_us"],
                "reference_round_trip_p50": reference["round_trip_p50_us"]
                / floor["round_trip_p50_us"],
                "to_reference_round_trip_p50": smartcar["round_trip_p50_us"]
                / reference["round_trip_p50_us"],
            },
            "handler_extra_p50_us": smartcar["handler_p50_us"] - floor["handler_p50_us"],
            "writes": self.writes.take(len(series["smartcar"].round_trips)),
        }
