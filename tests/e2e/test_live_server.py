"""End to end: a real Home Assistant server process, the simulator, and the REST API.

Each test starts ``scripts/run_homeassistant.py`` (as ``scripts/develop`` does) on a free
loopback port with a temporary configuration directory and this checkout's integration,
creates the owner account through the onboarding API, adds the Smartcar entry through the
config-flow REST API, plays a simulator scenario against the entry's webhook and reads the
result through ``/api/states``. Then it restarts the server, gracefully or with SIGKILL in
the middle of a stream of deliveries, and checks what survived.

The server needs only what its venv has (``--skip-pip``): the test stack's, or on the
newest stack its own, SMARTCAR_E2E_PYTHON=.venv-server/bin/python (requirements_server.txt;
see ``e2e.server``). The ``server`` fixture kills its process group when the test ends,
whatever the outcome. Besides the states, each test checks the server's log: no error
and no deprecation report (Home Assistant's or Python's) that names the integration.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
import contextlib
import copy
from dataclasses import dataclass
import time
from typing import Any

import aiohttp
import pytest

from custom_components.smartcar.entity import VALUE_TIMES
from e2e import HomeAssistantClient, HomeAssistantServer, SmartcarEntry
from e2e.server import ROOT
import simulator
from simulator.payloads import initial_bodies
from tests.deprecations import reports_deprecation

from .expected import (
    Expectation,
    catalog_expectations,
    catalog_keys,
    plain_expectations,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

TOKEN = "e2e-4f6b2a90-3c1d-4e8f-9a7b-5c2d1e0f3a6b"
OWNER = {"name": "Owner", "username": "owner", "password": "e2e-owner-password"}
VEHICLES = 2
# "full" plays about a minute of scenario time per car; 0.02 plays it in about a second,
# still one delivery after the other, each answered before the next.
FULL_SPEED = 0.02
# "stream": a delivery every STREAM_INTERVAL * STREAM_SPEED = 0.5 s for 27 s. The speed
# also scales Smartcar's retry delays (25/50/100 s) to 0.5/1/2 s, so the deliveries the
# kill refuses are given up within seconds, before the server starts again.
STREAM_SPEED = 0.02
STREAM_INTERVAL = 25.0
STREAM_COUNT = 54
KILL_AFTER = 26.0  # seconds after the stream starts: mid-way between two saves
SAVED_WITHIN = 15.0  # a delivery acknowledged this long before a kill must survive it


class Stopwatch:
    """How long each part of a test took; printed at the end (shown with ``-s``)."""

    def __init__(self) -> None:
        """Start timing now."""
        self.laps: list[tuple[str, float]] = []
        self._last = time.monotonic()

    def lap(self, name: str) -> None:
        """The part called ``name`` ends now."""
        now = time.monotonic()
        self.laps.append((name, now - self._last))
        self._last = now

    def __str__(self) -> str:
        """One line: each part and its seconds."""
        return ", ".join(f"{name} {seconds:.1f} s" for name, seconds in self.laps)


@dataclass
class Live:
    """A started, onboarded server with a Smartcar entry, and a logged-in client."""

    server: HomeAssistantServer
    client: HomeAssistantClient
    entry: SmartcarEntry
    stopwatch: Stopwatch

    @property
    def webhook_url(self) -> str:
        """The entry's webhook on the loopback address."""
        return self.entry.webhook_url(self.server.url)

    async def restart(self, *, kill: bool) -> None:
        """SIGKILL, or stop gracefully (SIGTERM); then start again on the same directory."""
        if kill:
            self.server.kill()
        else:
            assert await self.server.stop() == 0, self.server.tail()
        self.stopwatch.lap("SIGKILL" if kill else "graceful stop")
        self.server.start()
        assert self.client.access_token is not None
        await self.server.wait_running(self.client.access_token)
        self.stopwatch.lap("start again")


@contextlib.asynccontextmanager
async def live_server(server: HomeAssistantServer) -> AsyncIterator[Live]:
    """Start the server, create the owner (onboarding API) and the Smartcar entry (REST)."""
    stopwatch = Stopwatch()
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        server.start()
        await server.wait_http()
        client = HomeAssistantClient(session, server.url)
        assert (await client.onboarding_status())["user"] is False
        await client.onboard(**OWNER, complete=False)
        assert client.access_token is not None
        await server.wait_running(client.access_token)
        stopwatch.lap("first start and onboarding")
        version = (await client.get("/api/config"))["version"]
        entry = await client.create_smartcar_entry(name="Smartcar", token=TOKEN)
        entries = await client.config_entries()
        assert [(e["entry_id"], e["state"]) for e in entries] == [(entry.entry_id, "loaded")]
        stopwatch.lap("config flow")
        try:
            yield Live(server, client, entry, stopwatch)
        finally:
            print(f"\nserver: Home Assistant {version} on {server.python}")
            print(f"timings: {stopwatch}")


async def smartcar_entities(client: HomeAssistantClient) -> dict[str, dict[str, str]]:
    """Per vehicle id, catalog key → entity id, from the entity registry's unique ids.

    Entities disabled by default are left out: they have no state to check (and none of
    the simulated signals has one today).
    """
    by_vehicle: dict[str, dict[str, str]] = {}
    vehicle_ids = [vehicle.id for vehicle in simulator.fleet(VEHICLES)]
    for entry in await client.entity_registry():
        if entry.get("disabled_by"):
            continue
        for vehicle_id in vehicle_ids:
            if entry["unique_id"].startswith(f"{vehicle_id}_"):
                key = entry["unique_id"][len(vehicle_id) + 1 :]
                by_vehicle.setdefault(vehicle_id, {})[key] = entry["entity_id"]
    return by_vehicle


def mismatches(
    expectations: Mapping[str, Expectation],
    entities: Mapping[str, str],
    states: Mapping[str, Mapping[str, Any]],
) -> dict[str, str]:
    """Catalog key → what is wrong with its entity, for every expectation not met."""
    problems = {}
    for key, expectation in expectations.items():
        entity_id = entities.get(key)
        if entity_id is None:
            problems[key] = "no entity"
        elif not entity_id.startswith(f"{expectation.platform}."):
            problems[key] = f"{entity_id} is not a {expectation.platform}"
        elif (problem := expectation.mismatch(states.get(entity_id))) is not None:
            problems[key] = f"{entity_id}: {problem}"
    return problems


def snapshot(states: Mapping[str, Mapping[str, Any]], entity_ids: list[str]) -> dict[str, Any]:
    """State and attributes of the given entities (not their change times, not VALUE_TIMES).

    The times of a value are left out: an entity of a signal shared with others (a door of
    closure-doors) keeps the times of when its own value last changed, and after a restart
    shows the signal's newest ones (``value_times_after_restart`` checks those).
    """
    return {
        entity_id: (
            states[entity_id]["state"],
            {
                name: value
                for name, value in states[entity_id]["attributes"].items()
                if name not in VALUE_TIMES
            },
        )
        if entity_id in states
        else None
        for entity_id in entity_ids
    }


def older_value_times(
    before: Mapping[str, Mapping[str, Any]], after: Mapping[str, Mapping[str, Any]]
) -> dict[str, tuple[str, str]]:
    """Entities whose value times went back in time from ``before`` to ``after``: none may."""
    older = {}
    for entity_id, state in before.items():
        for name in VALUE_TIMES:
            then = state["attributes"].get(name)
            now = after.get(entity_id, {}).get("attributes", {}).get(name)
            if then is not None and (now is None or now < then):
                older[f"{entity_id}.{name}"] = (then, now)
    return older


def server_errors(server: HomeAssistantServer) -> list[str]:
    """Lines the integration logged as errors, and tracebacks through its code."""
    lines = server.log_lines()
    return [
        line
        for line in lines
        if ("ERROR" in line and "custom_components.smartcar" in line)
        or ("custom_components/smartcar/" in line and 'File "' in line)
    ]


def deprecation_reports(server: HomeAssistantServer) -> list[str]:
    """Lines of the server's log that report a deprecation and name the integration.

    The integration is named by its domain, its logger or module (custom_components.smartcar)
    or a file path (custom_components/smartcar/...). The checkout's and the configuration
    directory's own paths are taken out first: a checkout in a folder called smartcar would
    otherwise name it in every warning about a package of its venv.
    """
    found = []
    for line in server.log_lines():
        text = line.replace(str(server.config_dir), "<config>").replace(str(ROOT), "<checkout>")
        if reports_deprecation(text):
            found.append(line)
    return found


async def test_full_scenario_then_graceful_restart(server: HomeAssistantServer) -> None:
    """Every mapped entity shows the scenario's last values, and again after a restart."""
    async with live_server(server) as live:
        async with live.client.state_changes() as changes:
            report = await simulator.run(
                live.webhook_url, TOKEN, vehicles=VEHICLES, scenario="full", speed=FULL_SPEED
            )
            assert report.exit_code == 0, report.summary_lines()
            assert report.accepted == report.events == len(simulator.timeline("full", VEHICLES))
            live.stopwatch.lap(f"full scenario ({report.events} events)")
            entities = await smartcar_entities(live.client)
            errors = [entities[v]["vehicle_error"] for v in entities]
            # The last changes may still be on their way through the WebSocket.
            with contextlib.suppress(TimeoutError):
                await changes.wait_for(
                    lambda seen: all(seen.count((e, "none")) >= 2 for e in errors), 10
                )
        states = await live.client.states()
        expected = simulator.expected_state("full", VEHICLES)
        assert set(entities) == set(expected)

        for vehicle_id, car in expected.items():
            mine = entities[vehicle_id]
            assert catalog_keys(car.signals) | {"vehicle_event"} <= set(mine), vehicle_id
            assert mismatches(catalog_expectations(car.signals), mine, states) == {}
            assert mismatches(plain_expectations(car.signals), mine, states) == {}
            # Created without an error; the ASLEEP error showed; its RESOLVED cleared it.
            assert car.active_errors == ()
            error_states = [
                state for entity_id, state in changes if entity_id == mine["vehicle_error"]
            ]
            assert error_states == ["none", "asleep", "none"], error_states
            assert states[mine["vehicle_error"]]["state"] == "none"
            assert states[mine["reporting"]]["state"] == "on"
            # Disabled by default: it would write a state on every delivery.
            assert "last_update" not in mine
            assert states[mine["vehicle_event"]]["attributes"]["event_type"] == "unplugged"
            assert mine["location"].startswith("device_tracker.")
            assert states[mine["location"]]["attributes"]["source_type"] == "gps"

        live.stopwatch.lap(f"checks of {sum(map(len, entities.values()))} entities")

        # A graceful restart: every Smartcar entity is back as it was, before any delivery.
        entity_ids = sorted(entity_id for mine in entities.values() for entity_id in mine.values())
        before = snapshot(states, entity_ids)
        await live.restart(kill=False)
        states_after = await live.client.states()
        after = snapshot(states_after, entity_ids)
        assert {e: after[e] for e in entity_ids if after[e] != before[e]} == {}
        assert older_value_times({e: states[e] for e in entity_ids}, states_after) == {}
        assert await smartcar_entities(live.client) == entities
        assert server_errors(server) == []
        assert deprecation_reports(server) == []


@dataclass
class Sent:
    """One event of the stream as the simulator delivered it (first attempt)."""

    step: int
    vehicle_id: str
    accepted: bool
    answered_at: float  # time.monotonic() when the answer (or the failure) came


def bodies_after_each_step(steps: list[simulator.Step]) -> list[dict[str, Any]]:
    """The vehicle's full set of signal bodies once each step is applied."""
    cars = {vehicle.id: vehicle for vehicle in simulator.fleet(VEHICLES)}
    current = {vehicle_id: initial_bodies(car) for vehicle_id, car in cars.items()}
    after = []
    for step in steps:
        current[step.vehicle.id].update(copy.deepcopy(dict(step.changes)))
        after.append(copy.deepcopy(current[step.vehicle.id]))
    return after


async def test_sigkill_during_a_stream_keeps_acknowledged_deliveries(
    server: HomeAssistantServer,
) -> None:
    """SIGKILL mid-stream: what was acknowledged 15 s before the kill is there after it.

    Values are saved at most 10 s after they change (runtime._schedule_save), so after a
    kill the vehicle shows the values of one delivery made before it, no older than the
    last one acknowledged 15 s before the kill, and never anything that was not sent.
    """
    async with live_server(server) as live:
        sent: list[Sent] = []

        def listener(record: simulator.Verification | simulator.DeliveryRecord) -> None:
            if isinstance(record, simulator.DeliveryRecord) and record.attempt == 1:
                assert record.vehicle_id is not None
                sent.append(Sent(len(sent), record.vehicle_id, record.accepted, time.monotonic()))

        stream = asyncio.create_task(
            simulator.run(
                live.webhook_url,
                TOKEN,
                vehicles=VEHICLES,
                scenario="stream",
                count=STREAM_COUNT,
                interval=STREAM_INTERVAL,
                speed=STREAM_SPEED,
                answer_timeout=5.0,
                listener=listener,
            )
        )
        try:
            await asyncio.sleep(KILL_AFTER)
            live.stopwatch.lap("stream until the kill")
            server.kill()
            killed_at = time.monotonic()
            report = await asyncio.wait_for(stream, 30)
            live.stopwatch.lap("stream's end (refused, retried, dropped)")
        finally:
            if not stream.done():
                stream.cancel()
        assert report.verification.ok
        assert len(sent) == STREAM_COUNT
        acknowledged = [s for s in sent if s.answered_at < killed_at]
        assert all(s.accepted for s in acknowledged), report.summary_lines()
        # The rest were refused (connection refused or reset) and given up after retries.
        assert report.dropped == len(sent) - len(acknowledged) > 0
        old_enough = [s for s in acknowledged if s.answered_at <= killed_at - SAVED_WITHIN]
        assert {s.vehicle_id for s in old_enough} == {v.id for v in simulator.fleet(VEHICLES)}

        await live.restart(kill=True)
        states = await live.client.states()
        entities = await smartcar_entities(live.client)
        steps = simulator.timeline("stream", VEHICLES, count=STREAM_COUNT, interval=STREAM_INTERVAL)
        bodies = bodies_after_each_step(steps)
        in_flight = len(acknowledged)  # the first delivery not answered before the kill
        assert set(entities) == {vehicle.id for vehicle in simulator.fleet(VEHICLES)}
        for vehicle_id, mine in entities.items():
            floor = max(s.step for s in old_enough if s.vehicle_id == vehicle_id)
            # Any delivery sent before the kill, answered or not: one applied in the instant
            # before the kill may have been saved without its answer getting out.
            candidates = [s.step for s in sent[floor : in_flight + 1] if s.vehicle_id == vehicle_id]
            found = {
                step: mismatches(catalog_expectations(bodies[step]), mine, states)
                for step in candidates
            }
            assert any(not problems for problems in found.values()), (
                f"{vehicle_id}: the values after the restart match no delivery from "
                f"step {floor} (acknowledged {SAVED_WITHIN:.0f} s before the kill) on; "
                f"closest: {min(found.values(), key=len)}"
            )
            matched = [step for step, problems in found.items() if not problems]
            print(
                f"{vehicle_id}: restored delivery {matched} of {candidates}; "
                f"answered {killed_at - sent[matched[-1]].answered_at:.1f} s before the kill"
            )
        assert server_errors(server) == []
        assert deprecation_reports(server) == []
