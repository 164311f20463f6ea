"""Benchmark: what one Smartcar webhook delivery costs, measured against a no-op webhook.

Usage: scripts/bench [--quick] [--json PATH] [--iterations N] [--warmup N] [--block N]
                     [--vehicles N] [--profile N]

One run starts a real Home Assistant core in this process (registries, ``http`` bound to
127.0.0.1 on a free port, ``webhook``), sets up this checkout's integration through
``hass.config_entries`` with signature checking on, and registers next to it a no-op webhook
handler that reads the body and answers 200: the floor. A third handler, the reference, does
the least any integration must: read, check the signature, ``orjson.loads``, and set the state
of each signal the triggers name (no entities, no de-duplication, no ordering), so the report
shows how close to the floor a delivery can get at all. Signed VEHICLE_STATE bodies are then
POSTed over loopback with one keep-alive aiohttp session, one request in flight, to each
handler. All three receive the very same bytes, in interleaved blocks (each going first in
turn), so that background load on the machine affects them alike: the ratios within one run
are the result, absolute times are not.

Measured, with a warm-up before each configuration (the first deliveries create entities):

* 8, 28 and 85 signals (85 = ``tests/payloads.py`` ALL_SIGNALS), two values changed per
  delivery (state of charge alternates, odometer grows, both with a newer ``oemUpdatedAt``),
  and the same payloads with nothing changed (same values and car maker's times, new
  ``eventId``; Smartcar's ``retrievedAt`` and ``deliveredAt`` move on with every delivery,
  for every signal, as in live deliveries);
* per configuration: deliveries per second (one in flight), p50/p99 client round trip,
  p50/p99 server-side handler time, the ratio to the floor and the state writes per
  delivery (``state_changed`` events on ``hass.bus``), signal entities and vehicle-level
  entities (last update, reporting, vehicle error) counted apart;
* the 85-signal, two-changed delivery with 1, 10 and 100 vehicles present;
* memory held per vehicle (tracemalloc: everything allocated while vehicles 11-100 were
  added and still alive afterwards: fleet values, entities, states, registry entries);
* the handler's stages timed in place (wrapped callables) and a cProfile of the handler.

Targets are printed as PASS/MISS and never fail the run. Results go to ``bench-results.json``
at the repository root (git-ignored) unless ``--json`` says otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter
import contextlib
import cProfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
import gc
import hashlib
import hmac
import importlib.util
import inspect
import itertools
import json
import linecache
import logging
import math
import os
from pathlib import Path
import platform
import pstats
import secrets
import socket
import statistics
import sys
import tempfile
import time
import tracemalloc
from types import MappingProxyType, ModuleType
from typing import TYPE_CHECKING, Any, Final

import aiohttp
from aiohttp import hdrs, web
import msgspec
import orjson

from homeassistant import bootstrap, loader
from homeassistant.components import webhook
from homeassistant.config_entries import SOURCE_USER, ConfigEntries, ConfigEntry
from homeassistant.const import CONF_WEBHOOK_ID, EVENT_STATE_CHANGED
from homeassistant.const import __version__ as HA_VERSION  # noqa: N812
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.core_config import async_process_ha_core_config
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.json import prepare_save_json
from homeassistant.setup import async_setup_component

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable

REPO: Final = Path(__file__).resolve().parent.parent
DEFAULT_JSON: Final = REPO / "bench-results.json"
DOMAIN: Final = "smartcar"
# The test suite's example Application Management Token (tests/conftest.py).
TOKEN: Final = "4f6b2a90-3c1d-4e8f-9a7b-5c2d1e0f3a6b"  # noqa: S105
SOC: Final = "tractionbattery-stateofcharge"
ODOMETER: Final = "odometer-traveleddistance"
NICKNAME: Final = "vehicleidentification-nickname"
VIN: Final = "vehicleidentification-vin"
FIRST_VEHICLE_ID: Final = "9d2c4e6a-1b3f-4c5d-8e7f-6a5b4c3d2e1f"
BASE_TIME_MS: Final = 1_766_995_980_000
# Entities of the vehicle itself (signal None): refreshed on every accepted delivery.
VEHICLE_ENTITY_KEYS: Final = frozenset({"last_update", "vehicle_error", "reporting"})
SIGNAL_SIZES: Final = (8, 28, 85)
SCALING_VEHICLES: Final = (1, 10, 100)
MIB: Final = 1024 * 1024

# Targets of the issue: time per delivery against the floor (two values changed).
RATIO_TARGETS: Final = {28: 1.5, 85: 2.0}
MEMORY_TARGET_BYTES: Final = MIB
# Not from the issue: how much slower a delivery may be with 100 vehicles than with one
# before "does not grow with vehicles" is called a MISS (noise on a shared machine).
SCALING_TOLERANCE: Final = 1.25


class BenchError(RuntimeError):
    """The benchmark could not measure what it set out to (a wrong answer, a failed setup)."""


# --- Payloads ------------------------------------------------------------------------------


def load_all_signals() -> dict[str, dict[str, Any]]:
    """ALL_SIGNALS from tests/payloads.py (it imports the mounted ``custom_components``)."""
    spec = importlib.util.spec_from_file_location("bench_payloads", REPO / "tests/payloads.py")
    if spec is None or spec.loader is None:
        raise BenchError("tests/payloads.py not found")
    module: ModuleType = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return dict(module.ALL_SIGNALS)


def subset(all_codes: list[str], size: int) -> list[str]:
    """The first ``size`` codes, always including the two that change."""
    others = [code for code in all_codes if code not in (SOC, ODOMETER)]
    return [SOC, ODOMETER, *others][:size]


def sign(body: bytes) -> str:
    """SC-Signature as Smartcar computes it (independently of the integration's code)."""
    return hmac.new(TOKEN.encode(), body, hashlib.sha256).hexdigest()


_event_ids = itertools.count(1)


@dataclass
class VehicleModel:
    """What the benchmark has told the integration about one vehicle (values and times)."""

    number: int
    vehicle_id: str
    bodies: dict[str, dict[str, Any]]
    stamps: dict[str, int]
    changes: int = 0

    @classmethod
    def create(cls, number: int, all_signals: dict[str, dict[str, Any]]) -> VehicleModel:
        """A vehicle with every signal; name and VIN differ per vehicle, as in a real fleet."""
        vehicle_id = FIRST_VEHICLE_ID if number == 0 else f"00000000-0000-4000-8000-{number:012d}"
        bodies = {code: dict(body) for code, body in all_signals.items()}
        bodies[NICKNAME] = {"value": f"Bench car {number:03d}"}
        bodies[VIN] = {"value": f"BENCHVIN{number:09d}"}
        return cls(number, vehicle_id, bodies, dict.fromkeys(bodies, BASE_TIME_MS))

    def change(self) -> None:
        """Change state of charge (alternating) and odometer (growing), with newer times."""
        self.changes += 1
        stamp = BASE_TIME_MS + self.changes * 1000
        self.bodies[SOC] = {**self.bodies[SOC], "value": 80 + self.changes % 2}
        self.bodies[ODOMETER] = {
            **self.bodies[ODOMETER],
            "value": round(12345.6 + self.changes / 10, 1),
        }
        self.stamps[SOC] = self.stamps[ODOMETER] = stamp

    def render(self, codes: list[str], *, triggers: tuple[str, ...]) -> bytes:
        """A VEHICLE_STATE in the wire shape of tests/conftest.make_state, new eventId."""
        sequence = next(_event_ids)
        event_id = f"bench-{sequence:09d}"
        # Smartcar fetches every signal for each delivery: its times move on for all of them.
        retrieved_at = BASE_TIME_MS + sequence * 1000
        signals = []
        for code in codes:
            group, name = code.split("-", 1)
            stamp = self.stamps[code]
            signals.append(
                {
                    "code": code,
                    "name": name,
                    "group": group,
                    "body": self.bodies[code],
                    "meta": {"oemUpdatedAt": stamp, "retrievedAt": retrieved_at},
                }
            )
        return orjson.dumps(
            {
                "eventId": event_id,
                "eventType": "VEHICLE_STATE",
                "data": {
                    "user": {"id": "user-1"},
                    "vehicle": {
                        "id": self.vehicle_id,
                        "make": "KIA",
                        "model": "EV6",
                        "year": 2023,
                    },
                    "signals": signals,
                },
                "triggers": [
                    {"type": "SIGNAL_UPDATED", "signal": {"code": code}} for code in triggers
                ],
                "meta": {
                    "version": "4.0",
                    "deliveryId": f"delivery-{event_id}",
                    "deliveredAt": retrieved_at + 500,
                    "webhookId": "webhook-1",
                    "webhookName": "Home Assistant",
                    "mode": "LIVE",
                    "signalCount": len(codes),
                },
            }
        )

    def deliveries(self, codes: list[str], count: int, *, change: bool) -> list[tuple[bytes, str]]:
        """``count`` signed bodies; each changes two values, or none."""
        out = []
        for _ in range(count):
            if change:
                self.change()
            body = self.render(codes, triggers=(SOC, ODOMETER) if change else (SOC,))
            out.append((body, sign(body)))
        return out


# --- Statistics ----------------------------------------------------------------------------


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


# --- Home Assistant ------------------------------------------------------------------------


class DropNoise(logging.Filter):
    """Hide two warnings that say nothing about this run.

    The loader's "custom integration ... has not been tested" (this checkout is the point),
    and aiohttp_fast_zlib's missing isal/zlib-ng (nothing on the webhook path is compressed).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep every record but those two."""
        return record.msg != loader.CUSTOM_WARNING and not (
            record.name == "aiohttp_fast_zlib" and "not available" in str(record.msg)
        )


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def start_hass(config_dir: Path, port: int) -> HomeAssistant:
    """A running core as bootstrap builds one, with ``http`` on loopback and ``webhook``.

    ``config_dir/custom_components`` links to this checkout's, and ``loader.async_setup``
    mounts it the way Home Assistant mounts a user's config directory.
    """
    hass = HomeAssistant(str(config_dir))
    hass.config.skip_pip = True  # never install anything
    hass.config_entries = ConfigEntries(hass, {})
    loader.async_setup(hass)
    await loader.async_get_custom_components(hass)
    await bootstrap.async_load_base_functionality(hass)
    if not await async_setup_component(hass, "homeassistant", {}):
        raise BenchError("setting up homeassistant failed")
    await async_process_ha_core_config(hass, {})  # auth, core config defaults (UTC, metric)
    http = {"server_host": ["127.0.0.1"], "server_port": port}
    for domain, config in (("http", {"http": http}), ("webhook", {})):
        if not await async_setup_component(hass, domain, config):
            raise BenchError(f"setting up {domain} failed")
    await hass.async_start()  # http starts its server on EVENT_HOMEASSISTANT_START
    return hass


async def setup_integration(hass: HomeAssistant, webhook_id: str) -> ConfigEntry[Any]:
    """A Smartcar config entry, added and set up through ``hass.config_entries``."""
    entry: ConfigEntry[Any] = ConfigEntry(
        data={"management_token": TOKEN, CONF_WEBHOOK_ID: webhook_id},
        discovery_keys=MappingProxyType({}),
        domain=DOMAIN,
        minor_version=1,
        options={},
        source=SOURCE_USER,
        subentries_data=None,
        title="Smartcar",
        unique_id=None,
        version=1,
    )
    await hass.config_entries.async_add(entry)
    await hass.async_block_till_done()
    if entry.state.value != "loaded":
        raise BenchError(f"the Smartcar entry did not load: {entry.state}")
    return entry


async def noop_handler(hass: HomeAssistant, webhook_id: str, request: web.Request) -> web.Response:
    """The floor: read the whole body, answer 200."""
    await request.content.read()
    return web.Response(status=200)


async def reference_handler(
    hass: HomeAssistant, webhook_id: str, request: web.Request
) -> web.Response:
    """The least any integration must do: the reference that shows what is achievable.

    Read the body, check its signature, parse it, and set the state of each signal its
    triggers name, with the attributes a sensor of ours carries (``retrieved_at`` aside: it
    needs state to keep it per value). No de-duplication, no ordering, no comparison beyond
    the state machine's own, no entity objects: a lower bound.
    """
    body = await request.content.read()
    expected = hmac.new(TOKEN.encode(), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, request.headers.get("SC-Signature", "")):
        return web.Response(status=401)
    document = orjson.loads(body)
    signals = {signal["code"]: signal for signal in document["data"]["signals"]}
    for trigger in document["triggers"]:
        code = trigger["signal"]["code"]
        signal = signals[code]
        meta = signal["meta"]
        hass.states.async_set(
            f"sensor.reference_{code.replace('-', '_')}",
            str(signal["body"]["value"]),
            {
                "state_class": "measurement",
                "unit_of_measurement": signal["body"].get("unit"),
                "friendly_name": code,
                "recorded_at": _iso(meta["oemUpdatedAt"]),
            },
        )
    return web.Response(status=200)


def _iso(milliseconds: int) -> str:
    return datetime.fromtimestamp(milliseconds / 1000, UTC).isoformat()


class TimedHandler:
    """Wraps a registered webhook handler to time it (and to profile it on demand)."""

    def __init__(
        self, inner: Callable[[HomeAssistant, str, web.Request], Awaitable[web.Response]]
    ) -> None:
        """Time ``inner``."""
        self.inner = inner
        self.samples: list[int] = []
        self.profiler: cProfile.Profile | None = None

    async def __call__(
        self, hass: HomeAssistant, webhook_id: str, request: web.Request
    ) -> web.Response:
        """Call the handler, adding its duration to ``samples``."""
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


def register_timed(
    hass: HomeAssistant, domain: str, name: str, webhook_id: str, handler: Any
) -> TimedHandler:
    """Register a webhook whose handler is timed, replacing one of the same id.

    Through the webhook component's public API: its registry is frozen from 2026.10.
    """
    webhook.async_unregister(hass, webhook_id)
    timed = TimedHandler(handler)
    webhook.async_register(hass, domain, name, webhook_id, timed, allowed_methods=[hdrs.METH_POST])
    return timed


class WriteCounter:
    """Counts state writes per entity key (unique id minus the vehicle id), two ways.

    ``events``: ``state_changed`` events on the bus, the writes Home Assistant acts on.
    ``calls``: the entities' ``async_write_ha_state`` calls. They differ when the state
    machine drops a write that changes nothing shown, such as the last-update timestamp
    within the same second (its state has a resolution of one second).
    """

    def __init__(self, hass: HomeAssistant) -> None:
        """Listen on the bus and wrap ``Entity.async_write_ha_state``; count while ``active``."""
        self._registry = er.async_get(hass)
        self._keys: dict[str, str] = {}
        self.active = False
        self.events: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()
        self._unsubscribe = hass.bus.async_listen(EVENT_STATE_CHANGED, self._on_state_changed)
        self._original = original = Entity.async_write_ha_state
        counter = self

        def counted_write(entity: Entity) -> None:
            if counter.active:
                counter.calls[_entity_key(entity.unique_id, entity.entity_id)] += 1
            original(entity)

        Entity.async_write_ha_state = counted_write  # type: ignore[method-assign,assignment]

    def close(self) -> None:
        """Stop listening and restore ``Entity.async_write_ha_state``."""
        self._unsubscribe()
        Entity.async_write_ha_state = self._original  # type: ignore[method-assign]

    def _key(self, entity_id: str) -> str:
        if (key := self._keys.get(entity_id)) is None:
            entry = self._registry.async_get(entity_id)
            is_ours = entry is not None and entry.platform == DOMAIN
            key = _entity_key(entry.unique_id if is_ours else None, entity_id)  # type: ignore[union-attr]
            self._keys[entity_id] = key
        return key

    @callback
    def _on_state_changed(self, event: Event[EventStateChangedData]) -> None:
        if self.active:
            self.events[self._key(event.data["entity_id"])] += 1

    def take(self, deliveries: int) -> dict[str, Any]:
        """Writes per delivery so far, signal and vehicle-level apart; start again at zero."""
        result = {}
        for name, counts in (("events", self.events), ("calls", self.calls)):
            per_entity = {key: count / deliveries for key, count in sorted(counts.items())}
            signal = sum(v for k, v in per_entity.items() if k not in VEHICLE_ENTITY_KEYS)
            result[name] = {
                "signal_entities_per_delivery": signal,
                "vehicle_entities_per_delivery": sum(per_entity.values()) - signal,
                "per_entity": per_entity,
            }
        self.events, self.calls = Counter(), Counter()
        return result


def _entity_key(unique_id: str | None, entity_id: str) -> str:
    """``battery_level`` for ``<vehicle id>_battery_level``; other entities by entity id."""
    return unique_id.split("_", 1)[1] if unique_id else f"other:{entity_id}"


async def flush_registries(hass: HomeAssistant) -> None:
    """Write the entity and device registries now instead of in the middle of a measurement.

    Adding vehicles schedules registry saves 10 s later; a save serialises every entity in
    the event loop, a one-off cost of setup that would land in some later delivery's time.
    """
    for registry in (er.async_get(hass), dr.async_get(hass)):
        store = getattr(registry, "_store", None)
        if store is not None and getattr(store, "_data", None) is not None:
            await store._async_handle_write_data()  # noqa: SLF001 (as pytest-homeassistant does)
    await hass.async_block_till_done()


# --- The benchmark -------------------------------------------------------------------------


@dataclass
class Bench:
    """Everything one run shares: the core, the two webhooks, the client, the vehicles."""

    hass: HomeAssistant
    session: aiohttp.ClientSession
    base_url: str
    noop: TimedHandler
    smartcar: TimedHandler
    reference: TimedHandler
    noop_path: str
    smartcar_path: str
    reference_path: str
    writes: WriteCounter
    runtime: Any
    all_signals: dict[str, dict[str, Any]]
    args: argparse.Namespace
    vehicles: list[VehicleModel] = field(default_factory=list)

    async def post(self, path: str, body: bytes, signature: str) -> tuple[int, bytes]:
        """POST one delivery; return the round trip in ns and the answer's body."""
        headers = {"Content-Type": "application/json", "SC-Signature": signature}
        start = time.perf_counter_ns()
        async with self.session.post(self.base_url + path, data=body, headers=headers) as resp:
            answer = await resp.read()
        elapsed = time.perf_counter_ns() - start
        if resp.status != 200:
            raise BenchError(f"{path} answered {resp.status}: {answer[:200]!r}")
        return elapsed, answer

    async def send(
        self, target: str, bodies: list[tuple[bytes, str]], series: Series | None
    ) -> None:
        """Send bodies one at a time to ``"noop"``, ``"smartcar"`` or ``"reference"``."""
        handler: TimedHandler = getattr(self, target)
        path: str = getattr(self, f"{target}_path")
        handler.samples = []
        self.writes.active = series is not None and target == "smartcar"
        round_trips = []
        for body, signature in bodies:
            elapsed, answer = await self.post(path, body, signature)
            round_trips.append(elapsed)
            if target == "smartcar" and b'"applied"' not in answer:
                raise BenchError(f"the integration answered {answer[:200]!r}")
        self.writes.active = False
        if series is not None:
            series.round_trips += round_trips
            series.handler += handler.samples

    async def add_vehicles(self, count: int) -> None:
        """Deliver one full (85-signal) payload for each of ``count`` new vehicles."""
        codes = list(self.all_signals)
        for _ in range(count):
            model = VehicleModel.create(len(self.vehicles), self.all_signals)
            self.vehicles.append(model)
            await self.send("smartcar", model.deliveries(codes, 1, change=False), None)
            await self.hass.async_block_till_done()
        await flush_registries(self.hass)

    async def measure(self, size: int, *, change: bool) -> dict[str, Any]:
        """One configuration on the first vehicle: floor and integration, interleaved."""
        args = self.args
        model = self.vehicles[0]
        codes = subset(list(self.all_signals), size)
        targets = ("noop", "smartcar", "reference")
        warmup = model.deliveries(codes, args.warmup, change=change)
        for target in targets:
            await self.send(target, warmup, None)
        self.writes.take(1)
        series = {target: Series() for target in targets}
        gc.collect()
        payload_bytes = []
        rounds = max(1, math.ceil(args.iterations / args.block))
        for number in range(rounds):
            bodies = model.deliveries(codes, args.block, change=change)
            payload_bytes += [len(body) for body, _ in bodies]
            # Each target goes first, second and last equally often.
            shift = number % len(targets)
            for target in targets[shift:] + targets[:shift]:
                await self.send(target, bodies, series[target])
        writes = self.writes.take(len(series["smartcar"].round_trips))
        return result_record(
            signals=size,
            changed=2 if change else 0,
            vehicles=len(self.vehicles),
            payload_bytes=round(statistics.mean(payload_bytes)),
            floor=series["noop"].summary(),
            smartcar=series["smartcar"].summary(),
            reference=series["reference"].summary(),
            writes=writes,
        )


def result_record(
    *,
    floor: dict[str, float],
    smartcar: dict[str, float],
    reference: dict[str, float],
    **fields: Any,
) -> dict[str, Any]:
    """One configuration's figures with its ratios to the floor."""
    return {
        **fields,
        "floor": floor,
        "smartcar": smartcar,
        "reference": reference,
        "ratio": {
            "round_trip_p50": smartcar["round_trip_p50_us"] / floor["round_trip_p50_us"],
            "round_trip_mean": smartcar["round_trip_mean_us"] / floor["round_trip_mean_us"],
            "round_trip_p99": smartcar["round_trip_p99_us"] / floor["round_trip_p99_us"],
            "reference_round_trip_p50": reference["round_trip_p50_us"] / floor["round_trip_p50_us"],
        },
        "handler_extra_p50_us": smartcar["handler_p50_us"] - floor["handler_p50_us"],
    }


# --- Memory --------------------------------------------------------------------------------


def deep_size(root: object, seen: set[int]) -> int:
    """Bytes of ``root`` and everything it holds that ``seen`` does not yet contain.

    Follows dicts (keys and values), lists, tuples, sets and slotted or plain objects; skips
    classes, modules and functions.
    """
    total = 0
    stack = [root]
    while stack:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, type) or callable(obj):
            continue
        seen.add(id(obj))
        if isinstance(obj, msgspec.Raw):
            # sys.getsizeof answers nonsense for it: count its five-word object and the
            # bytes object of the text copy it owns.
            total += 5 * 8 + sys.getsizeof(b"") + len(obj)
            continue
        total += sys.getsizeof(obj)
        if isinstance(obj, dict):
            stack += obj.keys()
            stack += obj.values()
        elif isinstance(obj, list | tuple | set | frozenset):
            stack += obj
        elif hasattr(obj, "__dict__"):
            stack.append(obj.__dict__)
        else:
            for klass in type(obj).__mro__:
                stack += (getattr(obj, name) for name in getattr(klass, "__slots__", ()))
    return total


def short_path(path: str, config_dir: Path) -> str:
    """A file name without the virtualenv's or the temporary config dir's prefix."""
    for prefix in (str(config_dir) + os.sep, "site-packages" + os.sep, str(REPO) + os.sep):
        if prefix in path:
            return path.split(prefix, 1)[1]
    return path


async def measure_memory(bench: Bench, count: int, config_dir: Path) -> dict[str, Any]:
    """Add ``count`` vehicles under tracemalloc; what they hold, per vehicle."""
    hass = bench.hass
    first_new = len(bench.vehicles)
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
        stat.size_diff for stat in by_file if "smartcar" in stat.traceback[0].filename
    )
    top = [
        {
            "file": short_path(stat.traceback[0].filename, config_dir),
            "bytes_per_vehicle": stat.size_diff / count,
        }
        for stat in by_file[:12]
    ]
    by_line = [
        {
            "line": f"{short_path(stat.traceback[0].filename, config_dir)}:"
            f"{stat.traceback[0].lineno}",
            "source": linecache.getline(
                stat.traceback[0].filename, stat.traceback[0].lineno
            ).strip(),
            "bytes_per_vehicle": stat.size_diff / count,
        }
        for stat in after.compare_to(before, "lineno")
        if "smartcar" in stat.traceback[0].filename
    ][:10]
    seen: set[int] = set()
    fleet = bench.runtime.fleet
    new_ids = [model.vehicle_id for model in bench.vehicles[first_new:]]
    fleet_bytes = sum(deep_size(fleet.vehicles[vid], seen) for vid in new_ids)
    registry = er.async_get(hass)
    entities = er.async_entries_for_config_entry(registry, bench.runtime.entry.entry_id)
    states = [entry for entry in entities if hass.states.get(entry.entity_id) is not None]
    vehicles = len(bench.vehicles)
    return {
        "vehicles_added": count,
        "vehicles_present": vehicles,
        "bytes_per_vehicle": total / count,
        "integration_code_bytes_per_vehicle": integration / count,
        "fleet_bytes_per_vehicle": fleet_bytes / count,
        "registry_entities_per_vehicle": len(entities) / vehicles,
        "states_per_vehicle": len(states) / vehicles,
        "top_files": top,
        "integration_top_lines": by_line,
        "counted": (
            "tracemalloc: bytes allocated while the vehicles were added (one 85-signal "
            "delivery each, entities created, registries and states written) and still "
            "held afterwards, after gc.collect(), divided by the vehicles added; "
            "fleet_bytes_per_vehicle: deep sys.getsizeof of the fleet's Vehicle objects "
            "(signal states, bodies, keys) alone"
        ),
    }


def store_snapshot_cost(bench: Bench) -> dict[str, float]:
    """What the integration's delayed save costs with every vehicle present (in the loop)."""
    fleet = bench.runtime.fleet
    rounds = 5
    start = time.perf_counter_ns()
    for _ in range(rounds):
        _, data = prepare_save_json({"version": 1, "data": fleet.as_dict()})
    elapsed = (time.perf_counter_ns() - start) / rounds
    return {
        "vehicles": len(fleet.vehicles),
        "as_dict_and_json_ms": elapsed / 1e6,
        "json_bytes": len(data),
    }


# --- Stages and profile --------------------------------------------------------------------


class StageTimer:
    """Times named stages of the handler in place, by wrapping the callables it looks up.

    Each stage is a (namespace, attribute) the integration resolves at call time: module
    globals of ``webhook.py`` and attributes of the runtime and fleet instances. Stages nest
    (``_publish`` contains ``_check_reporting``); the wrappers cost well under 1 µs each.
    """

    def __init__(self, delivery: Callable[[], int]) -> None:
        """Nothing wrapped yet; ``delivery`` says which delivery is being handled."""
        self.delivery = delivery
        # Per stage: delivery number -> time spent in it during that delivery (ns).
        self.samples: dict[str, Counter[int]] = {}
        self.calls: Counter[str] = Counter()
        self._restore: list[tuple[object, str, object, bool]] = []

    def wrap(self, owner: object, name: str, label: str) -> None:
        """Time ``owner.name`` as ``label`` until ``restore``; skip what does not exist."""
        original = getattr(owner, name, None)
        if original is None:
            return
        samples = self.samples.setdefault(label, Counter())
        delivery, calls = self.delivery, self.calls
        had_own = isinstance(owner, ModuleType) or name in vars(owner)
        wrapper: Callable[..., Any]
        if inspect.iscoroutinefunction(original):

            async def wrapper(*args: Any, **kwargs: Any) -> Any:
                start = time.perf_counter_ns()
                try:
                    return await original(*args, **kwargs)
                finally:
                    samples[delivery()] += time.perf_counter_ns() - start
                    calls[label] += 1

        else:

            def wrapper(*args: Any, **kwargs: Any) -> Any:
                start = time.perf_counter_ns()
                try:
                    return original(*args, **kwargs)
                finally:
                    samples[delivery()] += time.perf_counter_ns() - start
                    calls[label] += 1

        setattr(owner, name, wrapper)
        self._restore.append((owner, name, original, had_own))

    def restore(self) -> None:
        """Put every wrapped callable back."""
        for owner, name, original, had_own in reversed(self._restore):
            if had_own:
                setattr(owner, name, original)
            else:
                delattr(owner, name)
        self._restore.clear()


# Stages of SmartcarWebhook.__call__ and SmartcarRuntime.async_apply, in call order; the
# indent is the nesting shown in the report.
STAGES: Final = (
    ("webhook", "read_capped", "read body"),
    ("webhook", "load_object", "JSON decode (load_object)"),
    ("webhook", "parse_verify", "parse_verify"),
    ("webhook", "signature_matches", "HMAC check (signature_matches)"),
    ("webhook", "parse_event", "parse_event"),
    ("runtime", "async_apply", "runtime.async_apply"),
    ("fleet", "apply_state", "  fleet.apply_state"),
    ("runtime", "_publish", "  runtime._publish"),
    ("smartcar_entity", "_refresh", "    SmartcarEntity._refresh (all calls)"),
    ("entity", "async_write_ha_state", "    Entity.async_write_ha_state (all calls)"),
    ("runtime", "_check_reporting", "    _check_reporting"),
    ("runtime", "_fire_transitions", "    _fire_transitions"),
    ("bus", "async_fire", "    hass.bus.async_fire (smartcar_delivery)"),
    ("runtime", "_schedule_save", "    runtime._schedule_save"),
    ("store", "async_delay_save", "      Store.async_delay_save"),
    ("webhook", "json_response", "json_response"),
    ("runtime", "async_record", "async_record"),
)


async def measure_stages(bench: Bench, deliveries: int) -> dict[str, Any]:
    """Median time per delivery of each stage, in place, over 85-signal deliveries."""
    runtime = bench.runtime
    owners: dict[str, object] = {
        "webhook": sys.modules["custom_components.smartcar.webhook"],
        "runtime": runtime,
        "fleet": runtime.fleet,
        "entity": Entity,
        "smartcar_entity": sys.modules["custom_components.smartcar.entity"].SmartcarEntity,
        "bus": type(bench.hass.bus),  # EventBus has __slots__: wrap the class
        "store": runtime._store,  # noqa: SLF001
    }
    model = bench.vehicles[0]
    bodies = model.deliveries(list(bench.all_signals), deliveries, change=True)
    # The handler's samples grow by one as each delivery ends: their count numbers them.
    timer = StageTimer(lambda: len(bench.smartcar.samples))
    try:
        for owner, name, label in STAGES:
            timer.wrap(owners[owner], name, label)
        await bench.send("smartcar", bodies, None)
        handler = bench.smartcar.samples
    finally:
        timer.restore()
    rows = [
        {
            "stage": label,
            "calls_per_delivery": timer.calls[label] / deliveries,
            # The median over deliveries of the time each spent in the stage (all calls).
            "per_delivery_us": statistics.median(
                samples.get(number, 0) for number in range(deliveries)
            )
            / 1000,
        }
        for label, samples in timer.samples.items()
        if samples
    ]
    return {
        "deliveries": deliveries,
        "handler_p50_us": statistics.median(handler) / 1000,
        "stages": rows,
    }


def profile_lines(stats: pstats.Stats, config_dir: Path, limit: int) -> dict[str, Any]:
    """Functions by cumulative and by own time, as % of the time profiled.

    The profiler runs only while the integration's handler runs, so the sum of every
    function's own time is the handler's time. It is the denominator, not the cumulative
    time of ``SmartcarWebhook.__call__``: cProfile can lose a coroutine's return when it
    suspends, and then books no cumulative time to it for the rest of the run. That row is
    shown as 100 %.
    """
    table: dict[tuple[str, int, str], tuple[int, int, float, float, Any]] = {
        key: value
        for key, value in stats.stats.items()  # type: ignore[attr-defined]
        if "bench.py" not in key[0] and "_lsprof" not in key[2]
    }
    total = sum(value[2] for value in table.values())
    if not total:
        raise BenchError("the profile is empty")

    def name(key: tuple[str, int, str]) -> str:
        file, line, function = key
        return f"{short_path(file, config_dir)}:{line}({function})"

    def is_root(key: tuple[str, int, str]) -> bool:
        return key[2] == "__call__" and key[0].endswith(f"smartcar{os.sep}webhook.py")

    def rows(index: int) -> list[dict[str, Any]]:
        ordered = sorted(
            table.items(),
            key=lambda item: total if index == 3 and is_root(item[0]) else item[1][index],
            reverse=True,
        )
        return [
            {
                "function": name(key),
                "calls": value[1],
                "own_pct": 100 * value[2] / total,
                "cumulative_pct": 100.0 if is_root(key) else 100 * value[3] / total,
            }
            for key, value in ordered[:limit]
        ]

    return {"handler_seconds": total, "by_cumulative": rows(3), "by_own_time": rows(2)}


async def profile(bench: Bench, deliveries: int, config_dir: Path) -> dict[str, Any]:
    """Profile the integration's handler (cProfile): 85-signal deliveries, two changed."""
    model = bench.vehicles[0]
    bodies = model.deliveries(list(bench.all_signals), deliveries, change=True)
    profiler = cProfile.Profile()
    bench.smartcar.profiler = profiler
    try:
        await bench.send("smartcar", bodies, None)
    finally:
        bench.smartcar.profiler = None
    result = profile_lines(pstats.Stats(profiler), config_dir, 25)
    result["deliveries"] = deliveries
    return result


# --- Report --------------------------------------------------------------------------------


def verdict(ok: bool) -> str:  # noqa: FBT001
    """PASS or MISS."""
    return "PASS" if ok else "MISS"


def label(record: dict[str, Any]) -> str:
    """A configuration's short name."""
    changed = "2 changed" if record["changed"] else "unchanged"
    return f"{record['signals']:>2} sig {changed:<9} {record['vehicles']:>3} veh"


def print_table(records: list[dict[str, Any]]) -> None:
    """Floor and integration side by side, one configuration per line (times in µs)."""
    print(
        f"{'configuration':<27}{'bytes':>7} | {'floor/s':>7}{'p50':>7}{'p99':>7} | "
        f"{'smartcar/s':>10}{'p50':>7}{'p99':>7}{'hdl p50':>8}{'hdl p99':>8} | "
        f"{'x p50':>6}{'x mean':>7} | {'ref x':>5}{'ref hdl':>8} | {'events sig+veh':>14} | "
        f"{'calls sig+veh':>13}"
    )
    for record in records:
        floor, smartcar, ratio = record["floor"], record["smartcar"], record["ratio"]
        writes = record["writes"]
        print(
            f"{label(record):<27}{record['payload_bytes']:>7} | "
            f"{floor['per_second']:>7.0f}{floor['round_trip_p50_us']:>7.0f}"
            f"{floor['round_trip_p99_us']:>7.0f} | "
            f"{smartcar['per_second']:>10.0f}{smartcar['round_trip_p50_us']:>7.0f}"
            f"{smartcar['round_trip_p99_us']:>7.0f}{smartcar['handler_p50_us']:>8.0f}"
            f"{smartcar['handler_p99_us']:>8.0f} | "
            f"{ratio['round_trip_p50']:>6.2f}{ratio['round_trip_mean']:>7.2f} | "
            f"{ratio['reference_round_trip_p50']:>5.2f}"
            f"{record['reference']['handler_p50_us']:>8.0f} | "
            f"{writes_cell(writes['events']):>14} | {writes_cell(writes['calls']):>13}"
        )


def writes_cell(writes: dict[str, Any]) -> str:
    """Signal-entity and vehicle-level writes per delivery, as ``2.00+1.00``."""
    return (
        f"{writes['signal_entities_per_delivery']:.2f}+"
        f"{writes['vehicle_entities_per_delivery']:.2f}"
    )


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's targets (and the scaling check), each with PASS or MISS."""
    single = [r for r in results["configurations"] if r["vehicles"] == 1]
    checks = []
    for size, limit in RATIO_TARGETS.items():
        record = next(r for r in single if r["signals"] == size and r["changed"])
        ratio = record["ratio"]["round_trip_p50"]
        reference = record["ratio"]["reference_round_trip_p50"]
        checks.append(
            {
                "target": f"{size} signals, 2 changed: p50 round trip <= {limit}x floor",
                "value": f"{ratio:.2f}x (the reference, the least any integration does: "
                f"{reference:.2f}x)",
                "ok": ratio <= limit,
            }
        )
    for record in (r for r in single if not r["changed"]):
        events, calls = record["writes"]["events"], record["writes"]["calls"]
        written = [
            counts[f"{kind}_entities_per_delivery"]
            for counts in (events, calls)
            for kind in ("signal", "vehicle")
        ]
        checks.append(
            {
                "target": f"{record['signals']} signals unchanged: 0 state writes",
                "value": f"per delivery {written[0]:.2f} + {written[1]:.2f} state_changed "
                f"(signal + vehicle entities), {written[2]:.2f} + {written[3]:.2f} write calls",
                "ok": not any(written),
            }
        )
    memory = results["memory"]["bytes_per_vehicle"]
    checks.append(
        {
            "target": "memory per 85-signal vehicle < 1 MiB",
            "value": f"{memory / 1024:.0f} KiB",
            "ok": memory < MEMORY_TARGET_BYTES,
        }
    )
    scaling = results["scaling"]
    growth = scaling[-1]["handler_p50_us"] / scaling[0]["handler_p50_us"]
    checks.append(
        {
            "target": f"handler p50 with {scaling[-1]['vehicles']} vehicles <= "
            f"{SCALING_TOLERANCE}x with 1 (bench's own tolerance)",
            "value": f"{growth:.2f}x",
            "ok": growth <= SCALING_TOLERANCE,
        }
    )
    return checks


def print_report(results: dict[str, Any]) -> None:
    """The readable part of the results."""
    env = results["environment"]
    print(
        f"\nSmartcar webhook benchmark: Home Assistant {env['home_assistant']}, "
        f"Python {env['python']}, aiohttp {env['aiohttp']}, {env['cpus']} CPUs, "
        f"load {env['load_before']} -> {env['load_after']}, {env['seconds']:.0f} s"
    )
    print(
        f"{env['iterations']} deliveries per target and configuration after {env['warmup']} "
        f"warm-up, in blocks of {env['block']}; floor = no-op webhook, same HTTP path and bytes."
    )
    print(
        "Times in µs; x = integration / floor; hdl = server-side handler time; ref = the "
        "reference handler\n(read, check the signature, orjson.loads, set the states the "
        "triggers name: the least any integration does).\n"
    )
    print_table(results["configurations"])

    print("\nScaling (85 signals, 2 changed, time per delivery by vehicles present):")
    for row in results["scaling"]:
        print(
            f"  {row['vehicles']:>3} vehicles: round trip p50 {row['round_trip_p50_us']:.0f} µs "
            f"(x{row['ratio_p50']:.2f} floor), handler p50 {row['handler_p50_us']:.0f} µs, "
            f"p99 {row['handler_p99_us']:.0f} µs"
        )

    memory = results["memory"]
    print(
        f"\nMemory: {memory['bytes_per_vehicle'] / 1024:.1f} KiB per vehicle "
        f"({memory['vehicles_added']} vehicles added, {memory['vehicles_present']} present; "
        f"{memory['registry_entities_per_vehicle']:.0f} registry entities, "
        f"{memory['states_per_vehicle']:.0f} states per vehicle); fleet data alone "
        f"{memory['fleet_bytes_per_vehicle'] / 1024:.1f} KiB; allocated by the "
        f"integration's own code {memory['integration_code_bytes_per_vehicle'] / 1024:.1f} KiB."
        " Largest parts per vehicle, by allocating file:"
    )
    for row in memory["top_files"][:8]:
        print(f"  {row['bytes_per_vehicle'] / 1024:>7.1f} KiB  {row['file']}")
    print("  Of which allocated by the integration's own lines (per vehicle):")
    for row in memory["integration_top_lines"][:6]:
        print(f"  {row['bytes_per_vehicle'] / 1024:>7.1f} KiB  {row['line']}: {row['source'][:70]}")
    store = results["store_snapshot"]
    print(
        f"Delayed save with {store['vehicles']} vehicles: as_dict + JSON "
        f"{store['as_dict_and_json_ms']:.1f} ms in the event loop, {store['json_bytes']} bytes."
    )

    stages = results["stages"]
    print(
        f"\nHandler stages in place, {stages['deliveries']} deliveries of 85 signals, 2 changed "
        f"(median over deliveries of the time in each stage, all its calls together; handler "
        f"p50 {stages['handler_p50_us']:.0f} µs):"
    )
    for row in stages["stages"]:
        print(
            f"  {row['per_delivery_us']:>7.1f} µs  {row['stage']}"
            + (
                f"  ({row['calls_per_delivery']:.2f} calls)"
                if row["calls_per_delivery"] != 1
                else ""
            )
        )

    if prof := results.get("profile"):
        print(
            f"\ncProfile of the integration's handler, {prof['deliveries']} deliveries of 85 "
            "signals, 2 changed (% of the handler's profiled time; cProfile inflates "
            "functions with many small calls):"
        )
        print(f"  {'cum %':>6} {'own %':>6} {'calls':>7}  function")
        for row in prof["by_cumulative"][:22]:
            print(
                f"  {row['cumulative_pct']:>6.1f} {row['own_pct']:>6.1f} {row['calls']:>7}  "
                f"{row['function']}"
            )
        print("  -- by own time:")
        for row in prof["by_own_time"][:12]:
            print(
                f"  {row['cumulative_pct']:>6.1f} {row['own_pct']:>6.1f} {row['calls']:>7}  "
                f"{row['function']}"
            )

    print("\nTargets:")
    for check in results["targets"]:
        print(f"  {verdict(check['ok'])}  {check['target']}: {check['value']}")


# --- Main ----------------------------------------------------------------------------------


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    """Counts and output path; --quick shortens everything for CI-like runs."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="short run (CI smoke test)")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help="results file")
    parser.add_argument("--iterations", type=int, help="measured deliveries per target")
    parser.add_argument("--warmup", type=int, help="unmeasured deliveries first")
    parser.add_argument("--block", type=int, help="deliveries per interleaved block")
    parser.add_argument("--vehicles", type=int, help="fleet size for memory and scaling")
    parser.add_argument("--profile", type=int, help="profiled deliveries (0: no profile)")
    args = parser.parse_args(argv)
    defaults = (
        {"iterations": 300, "warmup": 30, "block": 50, "vehicles": 30, "profile": 150}
        if args.quick
        else {"iterations": 2000, "warmup": 100, "block": 100, "vehicles": 100, "profile": 500}
    )
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if args.vehicles < 11 or min(args.iterations, args.block, args.warmup) < 1:
        parser.error("--vehicles must be at least 11 and counts at least 1")
    return args


@contextlib.asynccontextmanager
async def running_bench(args: argparse.Namespace, config_dir: Path) -> AsyncIterator[Bench]:
    """Home Assistant, both webhooks and the client session; all stopped on the way out."""
    (config_dir / "custom_components").symlink_to(REPO / "custom_components")
    port = free_port()
    hass: HomeAssistant | None = None
    session: aiohttp.ClientSession | None = None
    writes: WriteCounter | None = None
    try:
        hass = await start_hass(config_dir, port)
        all_signals = load_all_signals()
        noop_id, smartcar_id = secrets.token_hex(32), secrets.token_hex(32)
        reference_id = secrets.token_hex(32)
        noop = register_timed(hass, "bench", "No-op", noop_id, noop_handler)
        reference = register_timed(hass, "bench", "Reference", reference_id, reference_handler)
        entry = await setup_integration(hass, smartcar_id)
        # The integration's own handler, as its setup registered it, timed.
        handler = sys.modules["custom_components.smartcar.webhook"].SmartcarWebhook
        smartcar = register_timed(
            hass, DOMAIN, entry.title, smartcar_id, handler(entry.runtime_data)
        )
        writes = WriteCounter(hass)
        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1))
        await flush_registries(hass)
        await asyncio.sleep(1)  # let startup's timers and tasks settle
        yield Bench(
            hass=hass,
            session=session,
            base_url=f"http://127.0.0.1:{port}",
            noop=noop,
            smartcar=smartcar,
            noop_path=webhook.async_generate_path(noop_id),
            smartcar_path=webhook.async_generate_path(smartcar_id),
            reference=reference,
            reference_path=webhook.async_generate_path(reference_id),
            writes=writes,
            runtime=entry.runtime_data,
            all_signals=all_signals,
            args=args,
        )
    finally:
        if writes is not None:
            writes.close()
        if session is not None:
            await session.close()
        if hass is not None:
            await hass.async_stop(force=True)


def scaling_row(record: dict[str, Any]) -> dict[str, Any]:
    """The scaling figures of one configuration record."""
    return {
        "vehicles": record["vehicles"],
        "round_trip_p50_us": record["smartcar"]["round_trip_p50_us"],
        "handler_p50_us": record["smartcar"]["handler_p50_us"],
        "handler_p99_us": record["smartcar"]["handler_p99_us"],
        "ratio_p50": record["ratio"]["round_trip_p50"],
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Every measurement, in the order that keeps vehicle counts right; the results."""
    started = time.monotonic()
    load_before = round(os.getloadavg()[0], 2)
    with tempfile.TemporaryDirectory(prefix="smartcar-bench-", ignore_cleanup_errors=True) as tmp:
        config_dir = Path(tmp)
        async with running_bench(args, config_dir) as bench:
            phases = {"start": time.monotonic() - started}
            await bench.add_vehicles(1)
            configurations = [
                await bench.measure(size, change=change)
                for change in (True, False)
                for size in SIGNAL_SIZES
            ]
            phases["configurations"] = time.monotonic() - started - sum(phases.values())
            stages = await measure_stages(bench, args.profile or 200)
            profiled = await profile(bench, args.profile, config_dir) if args.profile else None
            phases["stages_and_profile"] = time.monotonic() - started - sum(phases.values())
            scaling = [next(r for r in configurations if r["signals"] == 85 and r["changed"])]
            await bench.add_vehicles(SCALING_VEHICLES[1] - 1)
            scaling.append(await bench.measure(85, change=True))
            phases["ten_vehicles"] = time.monotonic() - started - sum(phases.values())
            memory = await measure_memory(bench, args.vehicles - len(bench.vehicles), config_dir)
            phases["memory"] = time.monotonic() - started - sum(phases.values())
            scaling.append(await bench.measure(85, change=True))
            store = store_snapshot_cost(bench)
            phases["all_vehicles"] = time.monotonic() - started - sum(phases.values())
    results: dict[str, Any] = {
        "environment": {
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
            "phase_seconds": {name: round(value, 1) for name, value in phases.items()},
        },
        "configurations": configurations + scaling[1:],
        "scaling": [scaling_row(record) for record in scaling],
        "memory": memory,
        "store_snapshot": store,
        "stages": stages,
        "profile": profiled,
    }
    results["targets"] = targets(results)
    return results


def main() -> int:
    """Run, print, write the JSON."""
    args = parse_arguments()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    for name in ("homeassistant.loader", "aiohttp_fast_zlib"):
        logging.getLogger(name).addFilter(DropNoise())
    results = asyncio.run(run(args))
    print_report(results)
    args.json.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nWrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
