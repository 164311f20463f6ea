"""Load and faults against a real Home Assistant server: nothing acknowledged is lost.

Many vehicles deliver, at high concurrency and shuffled (so values arrive out of the order
the cars recorded them in), with duplicates and vehicle errors. SIGKILLs fall at seeded
random points; after each, before anything else arrives, every vehicle shows a value no
older than the newest one acknowledged SAVED_WITHIN seconds before the kill, and one that
was sent. What was refused while the server was down is sent again, as Smartcar retries.
At the end every vehicle shows its newest value of every signal, and every answer was a
2xx. Then the storage files of four more entries are truncated, emptied, given a future
version and the wrong shape: after a restart each entry is loaded, tells the user (a
repair, read through the WebSocket API) and takes deliveries again.

Short by default (a CI run: 2,000 deliveries from 20 vehicles, one kill, under a minute);
SMARTCAR_LOAD_LONG=1 for 20,000 from 50 vehicles and three kills. The figures are printed
(``-s``) for the README's reliability section.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
import json
import math
import os
from pathlib import Path
import random
import time
from typing import Any

import aiohttp
import pytest

from custom_components.smartcar.signatures import smartcar_hmac
from e2e import HomeAssistantServer, minimal_configuration, write_configuration

from .conftest import EXTERNAL_URL, HEADER
from .test_live_server import TOKEN, deprecation_reports, live_server, server_errors

LONG = bool(os.environ.get("SMARTCAR_LOAD_LONG"))
VEHICLES = 50 if LONG else 20
DELIVERIES = 20_000 if LONG else 2_000
KILLS = 3 if LONG else 1
STREAM_SECONDS = 90.0 if LONG else 20.0  # the deliveries are spread over this long
CONCURRENCY = 48
DUPLICATES = 0.1  # this share of deliveries is sent a second time, later
SAVED_WITHIN = 15.0  # a delivery acknowledged this long before a kill must survive it
SEED = 14

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900 if LONG else 240)]

T0 = 1_766_990_000_000  # the cars' first recorded time; each delivery a second later
SOC = "tractionbattery-stateofcharge"
ODOMETER = "odometer-traveleddistance"
LOCATION = "location-preciselocation"
PLUGGED = "charge-ischargingcableconnected"
# The storage files of four more entries, each broken in one way before a restart.
FAULTS = {
    "truncated": lambda text: text[: len(text) // 2],
    "emptied": lambda _text: "",
    "future version": lambda text: text.replace('"version": 1', '"version": 99', 1),
    "wrong shape": lambda _text: json.dumps({"version": 1, "key": "x", "data": [1, 2, 3]}),
}


def bodies(step: int) -> dict[str, dict[str, Any]]:
    """The signal bodies of a vehicle's ``step``-th report: each value tells the step."""
    return {
        SOC: {"value": step % 101, "unit": "percent"},
        ODOMETER: {"value": 1000 + step, "unit": "km"},
        LOCATION: {"latitude": 52 + step / 10_000, "longitude": 4.9, "heading": step % 360},
        PLUGGED: {"value": step % 2 == 0},
    }


def state_body(vehicle_id: str, step: int) -> bytes:
    """A VEHICLE_STATE of the vehicle's ``step``-th report, as Smartcar delivers it."""
    recorded = T0 + step * 1000
    signals = [
        {
            "code": code,
            "name": code.split("-")[1],
            "group": code.split("-")[0],
            "body": body,
            "meta": {"oemUpdatedAt": recorded, "retrievedAt": recorded + 500},
        }
        for code, body in bodies(step).items()
    ]
    return json.dumps(
        {
            "eventId": f"{vehicle_id}-{step}",
            "eventType": "VEHICLE_STATE",
            "data": {
                "vehicle": {"id": vehicle_id, "make": "KIA", "model": "EV6", "year": 2023},
                "signals": signals,
            },
            "triggers": [{"type": "SIGNAL_UPDATED", "signal": {"code": ODOMETER}}],
            "meta": {"mode": "LIVE", "deliveredAt": recorded + 1000, "version": "4.0"},
        }
    ).encode()


def error_body(vehicle_id: str, state: str) -> bytes:
    """A VEHICLE_ERROR saying the vehicle is asleep (``state`` ERROR) or awake (RESOLVED)."""
    return json.dumps(
        {
            "eventId": f"{vehicle_id}-asleep-{state}",
            "eventType": "VEHICLE_ERROR",
            "data": {
                "vehicle": {"id": vehicle_id},
                "errors": [{"type": "VEHICLE_STATE", "code": "ASLEEP", "state": state}],
            },
            "meta": {"mode": "LIVE"},
        }
    ).encode()


@dataclass
class Delivery:
    """One request of the load, and what became of each attempt."""

    vehicle_id: str
    step: int | None  # None for a vehicle error
    body: bytes
    at: float  # seconds after the stream starts
    acknowledged_at: float | None = None  # time.monotonic() of its 2xx


@dataclass
class Load:
    """The deliveries, their answers, and the kills."""

    deliveries: list[Delivery]
    answers: dict[int, int] = field(default_factory=dict)
    refused: int = 0  # attempts that got no answer (the server was down)
    states_checked: int = 0
    kills: list[float] = field(default_factory=list)
    # Per vehicle, the report it showed after the last kill, and when that restart was.
    restored: dict[str, int] = field(default_factory=dict)
    restarted_at: float = 0.0

    def newest(self, vehicle_id: str, *, acknowledged: tuple[float, float]) -> int:
        """The vehicle's newest step acknowledged between two times; -1 for none."""
        after, before = acknowledged
        return max(
            (
                d.step
                for d in self.deliveries
                if d.vehicle_id == vehicle_id
                and d.step is not None
                and d.acknowledged_at is not None
                and after < d.acknowledged_at <= before
            ),
            default=-1,
        )

    def expected(self, vehicle_id: str) -> int:
        """The step a vehicle shows in the end: newest since the last kill, or restored.

        A delivery acknowledged less than SAVE_DELAY_SECONDS before a kill may be lost, and
        Smartcar does not send it again: what the vehicle came back with then stands.
        """
        since_restart = self.newest(vehicle_id, acknowledged=(self.restarted_at, math.inf))
        return max(self.restored.get(vehicle_id, -1), since_restart)


def plan(rng: random.Random) -> tuple[list[str], list[Delivery]]:
    """Every vehicle's reports and one asleep error each, shuffled, with duplicates."""
    vehicle_ids = [f"load-{number:03d}-{rng.getrandbits(32):08x}" for number in range(VEHICLES)]
    steps = DELIVERIES // VEHICLES
    deliveries = [
        Delivery(vehicle_id, step, state_body(vehicle_id, step), 0.0)
        for vehicle_id in vehicle_ids
        for step in range(steps)
    ]
    deliveries += [Delivery(v, None, error_body(v, "ERROR"), 0.0) for v in vehicle_ids]
    deliveries += [
        Delivery(d.vehicle_id, d.step, d.body, 0.0)
        for d in rng.sample(deliveries, int(len(deliveries) * DUPLICATES))
    ]
    rng.shuffle(deliveries)
    for number, delivery in enumerate(deliveries):
        delivery.at = STREAM_SECONDS * number / len(deliveries)
    return vehicle_ids, deliveries


async def send(
    session: aiohttp.ClientSession, url: str, load: Load, deliveries: list[Delivery], gate: Any
) -> list[Delivery]:
    """Send each delivery at its time, CONCURRENCY at once; those that got no answer."""
    queue: asyncio.Queue[Delivery] = asyncio.Queue()
    for delivery in deliveries:
        queue.put_nowait(delivery)
    started = time.monotonic()
    unanswered: list[Delivery] = []

    async def worker() -> None:
        while not queue.empty():
            delivery = queue.get_nowait()
            await asyncio.sleep(max(0.0, started + delivery.at - time.monotonic()))
            await gate.wait()
            try:
                status = await deliver_to(session, url, TOKEN, delivery.body)
            except (aiohttp.ClientError, TimeoutError):
                load.refused += 1
                unanswered.append(delivery)
                continue
            load.answers[status] = load.answers.get(status, 0) + 1
            if 200 <= status < 300:
                delivery.acknowledged_at = time.monotonic()

    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return unanswered


def shown_steps(
    states: dict[str, dict[str, Any]], entities: dict[str, dict[str, str]], vehicle_id: str
) -> dict[str, int | None]:
    """Which report each of the vehicle's entities shows, read back from its value."""
    mine = entities.get(vehicle_id, {})

    def state(key: str) -> dict[str, Any] | None:
        entity_id = mine.get(key)
        return states.get(entity_id) if entity_id else None

    odometer, battery, location = state("odometer"), state("battery_level"), state("location")
    step = int(float(odometer["state"])) - 1000 if odometer else None
    return {
        "odometer": step,
        # The others must show the same report: the newest of each signal is the same one.
        "battery_level": step
        if battery and step is not None and int(float(battery["state"])) == step % 101
        else None,
        "location": step
        if location
        and step is not None
        and abs(location["attributes"]["latitude"] - (52 + step / 10_000)) < 1e-9
        else None,
    }


async def vehicle_entities(client: Any, vehicle_ids: list[str]) -> dict[str, dict[str, str]]:
    """Per vehicle id, catalog key → entity id (from the entity registry's unique ids)."""
    found: dict[str, dict[str, str]] = {}
    for entry in await client.entity_registry():
        vehicle_id, _, key = entry["unique_id"].partition("_")
        if vehicle_id in vehicle_ids:
            found.setdefault(vehicle_id, {})[key] = entry["entity_id"]
    return found


def check_after_kill(
    load: Load,
    states: dict[str, dict[str, Any]],
    entities: dict[str, dict[str, str]],
    killed_at: float,
) -> None:
    """Each vehicle shows a report sent, none older than the newest acknowledged in time.

    In time: since the last restart, SAVED_WITHIN seconds before this kill or earlier; or
    what the vehicle came back with from the kill before.
    """
    for vehicle_id in {d.vehicle_id for d in load.deliveries}:
        floor = max(
            load.restored.get(vehicle_id, -1),
            load.newest(vehicle_id, acknowledged=(load.restarted_at, killed_at - SAVED_WITHIN)),
        )
        sent = {d.step for d in load.deliveries if d.vehicle_id == vehicle_id}
        shown = shown_steps(states, entities, vehicle_id)
        if shown["odometer"] is not None:
            load.restored[vehicle_id] = shown["odometer"]
        if floor < 0:
            continue
        load.states_checked += len(shown)
        for key, step in shown.items():
            assert step is not None, (vehicle_id, key, "lost, or not the same report")
            assert step >= floor, (vehicle_id, key, step, "older than", floor)
            assert step in sent, (vehicle_id, key, step, "never sent")


async def stream_with_kills(
    live: Any, session: aiohttp.ClientSession, load: Load, rng: random.Random
) -> list[Delivery]:
    """Send the load, SIGKILLing at seeded times; the deliveries that got no answer."""
    gate = asyncio.Event()
    gate.set()
    segment = STREAM_SECONDS / KILLS
    kill_times = [
        number * segment + rng.uniform(SAVED_WITHIN + 1, segment - 0.5) for number in range(KILLS)
    ]
    vehicle_ids = sorted({d.vehicle_id for d in load.deliveries})

    async def kill_and_check() -> None:
        stream_started = time.monotonic()
        for kill_at in kill_times:
            await asyncio.sleep(max(0.0, stream_started + kill_at - time.monotonic()))
            live.server.kill()
            killed_at = time.monotonic()
            # Smartcar keeps delivering to the dead server for a moment: refused, sent again
            # later. Then nothing is sent until the restored values are checked.
            await asyncio.sleep(1.0)
            gate.clear()
            load.kills.append(killed_at - stream_started)
            await live.restart(kill=True)
            entities = await vehicle_entities(live.client, vehicle_ids)
            check_after_kill(load, await live.client.states(), entities, killed_at)
            load.restarted_at = time.monotonic()
            gate.set()

    # A failed check ends the stream too (the gate would stay closed for good).
    async with asyncio.TaskGroup() as group:
        group.create_task(kill_and_check())
        stream = group.create_task(send(session, live.webhook_url, load, load.deliveries, gate))
    unanswered = stream.result()
    # Smartcar retries what got no answer (for about 3 minutes): sent again, at once.
    for delivery in unanswered:
        delivery.at = 0.0
    assert await send(session, live.webhook_url, load, unanswered, gate) == []
    return unanswered


def break_files(config_dir: Path, entries: dict[str, Any]) -> None:
    """Break each entry's storage file in its way (FAULTS)."""
    for fault, entry in entries.items():
        path = config_dir / ".storage" / f"smartcar.{entry.entry_id}"
        path.write_text(FAULTS[fault](path.read_text()))


async def deliver_to(session: aiohttp.ClientSession, url: str, token: str, body: bytes) -> int:
    """POST one delivery signed with ``token``; its HTTP status."""
    headers = {"Content-Type": "application/json", "SC-Signature": smartcar_hmac(token, body)}
    async with session.post(url, data=body, headers=headers) as response:
        await response.read()
        return response.status


async def broken_files_are_told(live: Any, session: aiohttp.ClientSession) -> None:
    """Four more entries, their files broken: each starts, tells the user, takes deliveries."""
    server = live.server
    faulty = {}
    for number, fault in enumerate(FAULTS):
        token = f"{TOKEN}-{number}"
        entry = await live.client.create_smartcar_entry(name=f"Fault {number}", token=token)
        body = state_body(f"fault-{number}", 1)
        assert await deliver_to(session, entry.webhook_url(server.url), token, body) == 200
        faulty[fault] = entry
    assert await server.stop() == 0, server.tail()  # which writes the pending values
    break_files(server.config_dir, faulty)
    live.stopwatch.lap("graceful stop, storage files broken")
    server.start()
    await server.wait_running(live.client.access_token)
    live.stopwatch.lap("start with broken files")

    entries = {e["entry_id"]: e["state"] for e in await live.client.config_entries()}
    assert set(entries.values()) == {"loaded"}, entries
    issues = await live.client.websocket_command({"type": "repairs/list_issues"})
    told = {issue["issue_id"] for issue in issues["issues"] if issue["domain"] == "smartcar"}
    assert told >= {f"storage_lost_{entry.entry_id}" for entry in faulty.values()}
    assert f"storage_lost_{live.entry.entry_id}" not in told
    for number, entry in enumerate(faulty.values()):
        body = state_body(f"fault-{number}", 2)
        url = entry.webhook_url(server.url)
        assert await deliver_to(session, url, f"{TOKEN}-{number}", body) == 200
    states = await live.client.states()
    odometers = [
        s["state"] for e, s in states.items() if e.startswith("sensor.") and "odometer" in e
    ]
    assert odometers.count("1002") == len(FAULTS)


async def test_load_with_kills_loses_nothing_acknowledged(server: HomeAssistantServer) -> None:
    """Thousands of deliveries, SIGKILLs, restarts: the newest values win and survive."""
    configuration = minimal_configuration(server.port, EXTERNAL_URL)
    write_configuration(server.config_dir, {**configuration, "repairs": None}, HEADER)
    rng = random.Random(SEED)  # noqa: S311 (a reproducible plan, not a secret)
    vehicle_ids, deliveries = plan(rng)
    load = Load(deliveries)
    started = time.monotonic()
    connector = aiohttp.TCPConnector(limit=CONCURRENCY)
    async with (
        live_server(server) as live,
        aiohttp.ClientSession(
            connector=connector, timeout=aiohttp.ClientTimeout(total=10)
        ) as session,
    ):
        unanswered = await stream_with_kills(live, session, load, rng)
        for vehicle_id in vehicle_ids:
            status = await deliver_to(
                session, live.webhook_url, TOKEN, error_body(vehicle_id, "RESOLVED")
            )
            load.answers[status] = load.answers.get(status, 0) + 1
        live.stopwatch.lap(f"{len(deliveries)} deliveries, {KILLS} kills, {len(unanswered)} again")
        assert set(load.answers) == {200}, load.answers

        states = await live.client.states()
        entities = await vehicle_entities(live.client, vehicle_ids)
        for vehicle_id in vehicle_ids:
            newest = load.expected(vehicle_id)
            assert shown_steps(states, entities, vehicle_id) == dict.fromkeys(
                ("odometer", "battery_level", "location"), newest
            ), vehicle_id
            plugged = states[entities[vehicle_id]["plugged_in"]]["state"]
            assert plugged == ("on" if newest % 2 == 0 else "off"), vehicle_id
            assert states[entities[vehicle_id]["vehicle_error"]]["state"] == "none", vehicle_id
            load.states_checked += 5

        await broken_files_are_told(live, session)
        assert server_errors(server) == []
        assert deprecation_reports(server) == []
    print(
        f"\nload: {len(deliveries)} deliveries ({len(unanswered)} sent again after kills) "
        f"from {VEHICLES} vehicles at concurrency {CONCURRENCY}; answers {load.answers}, "
        f"{load.refused} refused while down; kills at "
        f"{', '.join(f'{k:.1f} s' for k in load.kills)}; {load.states_checked} states checked; "
        f"{len(FAULTS)} broken files told; {time.monotonic() - started:.0f} s"
    )
