"""The delivery engine: Smartcar's side of a webhook, with retries and injected faults.

:func:`run` sends a VERIFY, then every event of a scenario, signed, each delivery with a
new ``deliveryId``/``deliveredAt``. A delivery that is not answered 2xx is retried 25, 50
and 100 seconds after the previous attempt (four attempts, PROTOCOL.md section 7), scaled
by ``speed``, in the background while later events go on; after the fourth failure the
event is dropped. Injected faults (forged and malformed requests) are sent once, never
retried, and are expected to be refused.

With a :class:`StateFile` the cars continue from where the last run left them, and no
other simulator on this machine may drive them at the same time (see there).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
import contextlib
import copy
from dataclasses import dataclass
import json
import os
from pathlib import Path
import random
import secrets
import socket
import tempfile
import time
from typing import Any, Final

import aiohttp

from .client import SMARTCAR_TIMEOUT, Answer, headers_for, post, verify
from .payloads import (
    JSONObject,
    Vehicle,
    encode,
    fleet,
    new_id,
    smartcar_hmac,
    stamp,
    vehicle_error,
    vehicle_state,
)
from .report import (
    ACCEPTED,
    DROPPED,
    FAULT_ACCEPTED,
    FAULT_OTHER,
    FAULT_REJECTED,
    RETRYING,
    DeliveryRecord,
    Report,
    Verification,
)
from .scenario import (
    DEFAULT_COUNT,
    DEFAULT_INTERVAL,
    LiveVehicle,
    Start,
    Step,
    timeline,
)

try:
    import fcntl
except ImportError:  # pragma: no cover (not on Windows; the lock is then advisory only)
    fcntl = None  # type: ignore[assignment]

RETRY_DELAYS: Final = (25.0, 50.0, 100.0)  # seconds before attempts 2, 3 and 4
ATTEMPTS: Final = 1 + len(RETRY_DELAYS)
MAX_BODY_BYTES: Final = 64 * 1024  # what the integration accepts (Smartcar sends <= 50 KB)
FORGERIES: Final = (
    "wrong key",
    "no signature",
    "signed compact JSON, sent pretty-printed",
)

type Listener = Callable[[Verification | DeliveryRecord], None]


def now_ms() -> int:
    """Wall-clock milliseconds since the epoch."""
    return int(time.time() * 1000)


# --- Where the cars were: the state file --------------------------------------------------

# Why a file and not the wall clock: a start derived from the time since a fixed epoch
# (odometer = base + distance per second) only keeps the odometer increasing if the clock
# moved on further than the previous run drove, and a run drives far in little time (the
# "full" scenario's 14 km take 12 s in the demo, under a second at --speed 0.01), so a rerun
# soon after would still go backwards; nor would it say where the car is or how full its
# battery is. The file holds each car's last values wherever it reported, since the same
# stable vehicle ids reach every Home Assistant the simulator feeds: the demo's and any that
# scripts/simulate is pointed at share one file, so both continue where either left off.
STATE_VARIABLE: Final = "SMARTCAR_SIMULATOR_STATE"
STATE_FORMAT: Final = 1
FOREIGN_LEASE_S: Final = 600.0  # a driver on another host counts while it saved this recently


def default_state_file() -> Path:
    """``$SMARTCAR_SIMULATOR_STATE``, else ``$XDG_STATE_HOME/smartcar-simulator/vehicles.json``.

    ``XDG_STATE_HOME`` defaults to ``~/.local/state``.
    """
    if value := os.environ.get(STATE_VARIABLE, "").strip():
        return Path(value).expanduser()
    base = os.environ.get("XDG_STATE_HOME", "").strip() or Path.home() / ".local" / "state"
    return Path(base) / "smartcar-simulator" / "vehicles.json"


class StateError(Exception):
    """The state file cannot be used: unreadable, or its cars are being driven elsewhere."""


class VehiclesBusyError(StateError):
    """Another simulator is driving some of the cars right now."""


@dataclass(frozen=True, slots=True)
class SavedVehicle:
    """Where a run left one car: every signal's body and its ``oemUpdatedAt``."""

    signals: dict[str, Any]
    stamps: dict[str, int]


def _process_start(pid: int) -> str | None:
    """When process ``pid`` started (Linux: /proc), to tell it from a later one with its id."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    fields = stat.rpartition(")")[2].split()
    return fields[19] if len(fields) > 19 else None  # noqa: PLR2004 (field 22 of proc(5))


class StateFile:
    """A JSON file with each car's last values, and which process is driving it.

    A run that uses one (:func:`run`'s ``state``) takes its cars' values from it, at rest
    (:func:`~simulator.scenario.start_bodies`), claims the cars for its process, writes their
    values after every event (so that even a killed run leaves them where they were) and
    releases them at the end. A car claimed by another live process is refused with
    :class:`VehiclesBusyError`: two simulators driving one car would contradict each other,
    the odometer of one going back to where the other was. Reads and writes hold an
    exclusive lock on ``<file>.lock``; the file itself is replaced atomically.
    """

    def __init__(self, path: Path | str, owner: str = "simulator") -> None:
        """``owner`` names this process to the one it might be refused to (e.g. scripts/demo)."""
        self.path = Path(path)
        self.owner = owner
        self._claimed: list[str] = []
        self._holds = 0  # claims not released yet: the cars are let go with the last one
        self._host = socket.gethostname()

    def _lease(self) -> dict[str, Any]:
        pid = os.getpid()
        return {
            "pid": pid,
            "started": _process_start(pid),
            "host": self._host,
            "owner": self.owner,
            "seen": now_ms(),
        }

    def _ours(self, lease: dict[str, Any]) -> bool:
        return lease.get("pid") == os.getpid() and lease.get("host") == self._host

    def _live(self, lease: dict[str, Any]) -> bool:
        """Whether the process holding ``lease`` is still running (elsewhere: saved lately)."""
        if lease.get("host") != self._host:
            return now_ms() - int(lease.get("seen", 0)) < FOREIGN_LEASE_S * 1000
        pid = lease.get("pid")
        if not isinstance(pid, int) or pid <= 0:
            return False
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass  # someone else's process, but running
        started = lease.get("started")
        return started is None or _process_start(pid) in (None, started)

    @contextlib.contextmanager
    def _open(self) -> Iterator[dict[str, Any]]:
        """The document under the lock; written back when the block ends without an error."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.with_name(self.path.name + ".lock").open("a") as lock:
            if fcntl is not None:
                fcntl.flock(lock, fcntl.LOCK_EX)
            document = self._read()
            before = json.dumps(document, sort_keys=True)
            yield document
            if json.dumps(document, sort_keys=True) == before:
                return
            handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".vehicles-")
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as out:
                    json.dump(document, out, separators=(",", ":"))
                Path(temporary).replace(self.path)
            except BaseException:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(temporary)  # noqa: PTH108
                raise

    def _read(self) -> dict[str, Any]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {"format": STATE_FORMAT, "vehicles": {}, "drivers": {}}
        try:
            document = json.loads(text)
        except ValueError:
            document = None
        if (
            not isinstance(document, dict)
            or document.get("format") != STATE_FORMAT
            or not isinstance(document.get("vehicles"), dict)
            or not isinstance(document.get("drivers"), dict)
        ):
            raise StateError(
                f"{self.path} is not a simulator state file of format {STATE_FORMAT}; "
                "delete it to start the cars over (or pass --no-state)"
            )
        return document

    def saved(self) -> dict[str, SavedVehicle]:
        """Every car's last values, by vehicle id (without claiming anything)."""
        with self._open() as document:
            return self._saved(document)

    @staticmethod
    def _saved(document: dict[str, Any]) -> dict[str, SavedVehicle]:
        return {
            vehicle_id: SavedVehicle(dict(car.get("signals", {})), dict(car.get("stamps", {})))
            for vehicle_id, car in document["vehicles"].items()
            if isinstance(car, dict)
        }

    def _busy(self, document: dict[str, Any], vehicles: list[Vehicle]) -> dict[str, str]:
        busy = {}
        for vehicle in vehicles:
            lease = document["drivers"].get(vehicle.id)
            if isinstance(lease, dict) and not self._ours(lease) and self._live(lease):
                busy[vehicle.id] = f"{lease.get('owner', 'a simulator')}, pid {lease.get('pid')}"
        return busy

    def claim(self, vehicles: list[Vehicle]) -> dict[str, SavedVehicle]:
        """Claim ``vehicles`` for this process; return where they were left.

        Raises VehiclesBusyError, naming the other driver, if another live process has any.
        Claims nest: a process that claims its cars for longer than one run (the demo, for
        its runs one after the other) keeps them until it releases as often as it claimed.
        """
        with self._open() as document:
            if busy := self._busy(document, vehicles):
                drivers: dict[str, list[str]] = {}
                for vehicle in vehicles:
                    if vehicle.id in busy:
                        drivers.setdefault(busy[vehicle.id], []).append(vehicle.label)
                names = "; ".join(f"{', '.join(cars)} by {who}" for who, cars in drivers.items())
                skip = 1 + max(v.index for v in vehicles if v.id in busy)
                raise VehiclesBusyError(
                    f"these cars are being driven by another simulator right now: {names}. "
                    "Two simulators driving one car would contradict each other (its odometer "
                    f"going backwards); drive other cars (--skip-vehicles {skip}) or stop that "
                    f"one first. State file: {self.path}"
                )
            for vehicle in vehicles:
                document["drivers"][vehicle.id] = self._lease()
            self._claimed += [v.id for v in vehicles if v.id not in self._claimed]
            self._holds += 1
            return self._saved(document)

    def save(self, car: LiveVehicle) -> None:
        """Keep ``car``'s current values (and that this process is still driving it)."""
        with self._open() as document:
            document["vehicles"][car.vehicle.id] = {
                "vehicle": car.vehicle.label,
                "signals": car.bodies,
                "stamps": car.oem,
                "savedAt": now_ms(),
            }
            lease = document["drivers"].get(car.vehicle.id)
            if isinstance(lease, dict) and self._ours(lease):
                lease["seen"] = now_ms()

    def release(self) -> None:
        """Let other processes drive the cars this one claimed (after the last claim)."""
        self._holds = max(0, self._holds - 1)
        if self._holds or not self._claimed:
            return
        with self._open() as document:
            for vehicle_id in self._claimed:
                lease = document["drivers"].get(vehicle_id)
                if isinstance(lease, dict) and self._ours(lease):
                    del document["drivers"][vehicle_id]
        self._claimed = []


@dataclass(slots=True)
class _Event:
    """A built event: the envelope without per-attempt meta, and what it is about."""

    document: JSONObject
    vehicle: Vehicle
    label: str

    @property
    def event_id(self) -> str:
        return str(self.document["eventId"])

    @property
    def event_type(self) -> str:
        return str(self.document["eventType"])


@dataclass(frozen=True, slots=True)
class _Plan:
    """Which steps get which injected fault."""

    duplicates: frozenset[int]
    reorder: frozenset[int]
    forgeries: dict[int, str]
    malformed_after: int | None


def _plan(  # noqa: PLR0913
    steps: list[Step],
    rng: random.Random,
    *,
    duplicates: bool,
    reorder: bool,
    bad_signature: bool,
    malformed: bool,
) -> _Plan:
    total = len(steps)
    dups: set[int] = set()
    if duplicates and total:
        dups = set(rng.sample(range(total), max(1, total // 5)))
    held: set[int] = set()
    if reorder:
        candidates = []
        for i, step in enumerate(steps):
            if step.first or step.error is not None:
                continue
            later = next((s for s in steps[i + 1 :] if s.vehicle == step.vehicle), None)
            if later is not None and later.error is None:
                candidates.append(i)
        if candidates:
            held = set(rng.sample(candidates, max(1, len(candidates) // 6)))
    forgeries: dict[int, str] = {}
    if bad_signature and total:
        chosen = sorted(rng.sample(range(total), min(total, max(3, total // 6))))
        forgeries = {i: FORGERIES[n % len(FORGERIES)] for n, i in enumerate(chosen)}
    return _Plan(
        duplicates=frozenset(dups),
        reorder=frozenset(held),
        forgeries=forgeries,
        malformed_after=0 if malformed and total else None,
    )


class _Runner:
    """Sends events and faults, records every answer, keeps the retry tasks."""

    def __init__(  # noqa: PLR0913
        self,
        session: aiohttp.ClientSession,
        url: str,
        token: str,
        *,
        speed: float,
        answer_timeout: float,
        listener: Listener | None,
    ) -> None:
        self.session = session
        self.url = url
        self.token = token
        self.speed = speed
        self.answer_timeout = answer_timeout
        self.listener = listener
        self.records: list[DeliveryRecord] = []
        self._retries: set[asyncio.Task[None]] = set()

    def record(self, record: DeliveryRecord) -> None:
        self.records.append(record)
        if self.listener is not None:
            self.listener(record)

    async def deliver(self, event: _Event, tag: str | None = None) -> None:
        """First attempt now; on failure, retries continue in the background."""
        first = asyncio.get_running_loop().time()
        if await self._attempt(event, 1, tag):
            return
        task = asyncio.create_task(self._retry(event, tag, first))
        self._retries.add(task)
        task.add_done_callback(self._retries.discard)

    async def _retry(self, event: _Event, tag: str | None, first: float) -> None:
        loop = asyncio.get_running_loop()
        elapsed = 0.0
        for attempt, delay in enumerate(RETRY_DELAYS, start=2):
            elapsed += delay
            await asyncio.sleep(max(0.0, first + elapsed * self.speed - loop.time()))
            if await self._attempt(event, attempt, tag):
                return

    async def _attempt(self, event: _Event, attempt: int, tag: str | None) -> bool:
        delivery_id = new_id()
        body = encode(stamp(event.document, delivery_id, now_ms()))
        answer = await post(
            self.session, self.url, body, headers_for(body, self.token), self.answer_timeout
        )
        outcome = ACCEPTED if answer.accepted else DROPPED if attempt == ATTEMPTS else RETRYING
        self.record(
            self._record_for(
                answer,
                body,
                event=event,
                delivery_id=delivery_id,
                attempt=attempt,
                outcome=outcome,
                tag=tag,
            )
        )
        return answer.accepted

    async def fault(  # noqa: PLR0913
        self,
        body: bytes,
        headers: dict[str, str],
        *,
        fault: str,
        expected: tuple[int, ...],
        event: _Event | None = None,
        delivery_id: str | None = None,
    ) -> None:
        """Send one forged or malformed request, once, and judge the answer."""
        answer = await post(self.session, self.url, body, headers, self.answer_timeout)
        if answer.accepted:
            outcome = FAULT_ACCEPTED
        elif answer.status in expected:
            outcome = FAULT_REJECTED
        else:
            outcome = FAULT_OTHER
        self.record(
            self._record_for(
                answer,
                body,
                event=event,
                delivery_id=delivery_id,
                attempt=1,
                outcome=outcome,
                fault=fault,
                expected=expected,
            )
        )

    def _record_for(  # noqa: PLR0913
        self,
        answer: Answer,
        body: bytes,
        *,
        event: _Event | None,
        delivery_id: str | None,
        attempt: int,
        outcome: str,
        tag: str | None = None,
        fault: str | None = None,
        expected: tuple[int, ...] | None = None,
    ) -> DeliveryRecord:
        error = answer.field("error") if answer.status is not None else answer.transport_error
        return DeliveryRecord(
            seq=len(self.records) + 1,
            event_type=event.event_type if event else None,
            event_id=event.event_id if event else None,
            delivery_id=delivery_id,
            vehicle_id=event.vehicle.id if event else None,
            vehicle=event.vehicle.label if event else None,
            label=event.label if event else "",
            attempt=attempt,
            attempts=ATTEMPTS if fault is None else 1,
            size=len(body),
            status=answer.status,
            result=answer.field("result"),
            error=error,
            latency_ms=round(answer.latency_ms, 1),
            outcome=outcome,
            tag=tag,
            fault=fault,
            expected=expected,
        )

    async def forge(self, event: _Event, variant: str) -> None:
        """A copy of ``event`` (same ``eventId``) that a receiver must refuse with 401."""
        delivery_id = new_id()
        document = stamp(event.document, delivery_id, now_ms())
        if variant == FORGERIES[2]:
            # Genuine content; the signature is over other bytes than those sent.
            body = json.dumps(document, indent=2).encode()
            headers = headers_for(body, None)
            headers["SC-Signature"] = smartcar_hmac(self.token, encode(document))
        else:
            forged = copy.deepcopy(document)
            for signal in forged["data"].get("signals", []):
                if signal["code"] == "tractionbattery-stateofcharge":
                    signal["body"]["value"] = 1  # what an attacker might want to show
            body = encode(forged)
            key = None if variant == FORGERIES[1] else secrets.token_hex(18)
            headers = headers_for(body, key)
        await self.fault(
            body,
            headers,
            fault=f"bad-signature: {variant}",
            expected=(401,),
            event=event,
            delivery_id=delivery_id,
        )

    async def malformed(self, event: _Event) -> None:
        """Bodies that are not one JSON object, and one over 64 KiB; all correctly signed."""
        compact = encode(stamp(event.document, new_id(), now_ms()))
        oversized = copy.deepcopy(stamp(event.document, new_id(), now_ms()))
        oversized["eventId"] = new_id()
        signals = oversized["data"].get("signals") or [{"padding": "x" * 1024}]
        repeat = MAX_BODY_BYTES // max(1, len(encode(signals))) + 2
        oversized["data"]["signals"] = signals * repeat
        bodies = (
            ("not JSON", b"this is not JSON", (400,)),
            ("truncated JSON", compact[: len(compact) // 2], (400,)),
            ("JSON array", b"[" + compact + b"]", (400,)),
            ("JSON string", b'"VEHICLE_STATE"', (400,)),
            ("body over 64 KiB", encode(oversized), (413,)),
        )
        for name, body, expected in bodies:
            await self.fault(
                body, headers_for(body, self.token), fault=f"malformed: {name}", expected=expected
            )

    async def drain(self) -> None:
        """Wait until every pending retry has succeeded or been dropped."""
        while self._retries:
            await asyncio.gather(*list(self._retries))


def _build(step: Step, live: LiveVehicle, state: StateFile | None = None) -> _Event:
    """Turn a step into an event, updating the car's values and timestamps (and ``state``)."""
    now = now_ms()
    event_id = new_id()
    if step.error is not None:
        return _Event(vehicle_error(event_id, step.vehicle, [step.error]), step.vehicle, step.label)
    changed = live.apply(step.changes, now)
    if state is not None:
        state.save(live)  # before sending: the car is where it is, answered or not
    document = vehicle_state(
        event_id,
        step.vehicle,
        live.signals(now),
        changed or step.triggers,
        first=step.first,
    )
    return _Event(document, step.vehicle, step.label)


async def run(  # noqa: PLR0913
    url: str,
    token: str,
    *,
    vehicles: int = 1,
    scenario: str = "full",
    speed: float = 1.0,
    count: int = DEFAULT_COUNT,
    interval: float = DEFAULT_INTERVAL,
    first_vehicle: int = 0,
    start: Start | None = None,
    state: StateFile | None = None,
    duplicates: bool = False,
    reorder: bool = False,
    bad_signature: bool = False,
    malformed: bool = False,
    verify_only: bool = False,
    skip_verify: bool = False,
    sign_verify: bool = False,
    answer_timeout: float = SMARTCAR_TIMEOUT,
    insecure: bool = False,
    seed: int | None = None,
    listener: Listener | None = None,
    session: aiohttp.ClientSession | None = None,
) -> Report:
    """Play Smartcar against the webhook at ``url`` signed with ``token``; report it all.

    ``speed`` scales every wait of the scenario and every retry delay (0.01 runs a
    three-minute retry schedule in under two seconds); the 15-second answer timeout is
    not scaled. ``listener`` sees the VERIFY outcome and each delivery as it happens.
    Verification failing ends the run before any vehicle data, as with Smartcar.

    The cars are ``vehicles`` of the fleet from ``first_vehicle`` on. They start from their
    initial values, or from ``start`` (per vehicle id, the bodies a previous run left,
    e.g. its :func:`~simulator.scenario.expected_state`), or from ``state``, which then
    keeps where they are for the next run (see :class:`StateFile`). Raises ValueError for
    impossible arguments and StateError for an unusable state file or busy cars.
    """
    if speed <= 0:
        raise ValueError("speed must be positive")
    if count < 0 or interval < 0:
        raise ValueError("count and interval must not be negative")
    if start is not None and state is not None:
        raise ValueError("start and state exclude each other")
    timeline(scenario, vehicles, count=0, first_vehicle=first_vehicle)  # the arguments' check
    cars = fleet(vehicles, first_vehicle)
    driving = state if state is not None and not verify_only else None
    saved = driving.claim(cars) if driving is not None else {}
    if state is not None:
        start = {vehicle_id: car.signals for vehicle_id, car in saved.items()}
    own_session = session is None
    started = time.perf_counter()
    try:
        if session is None:
            session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(ssl=False) if insecure else None
            )
        steps = timeline(
            scenario,
            vehicles,
            count=count,
            interval=interval,
            first_vehicle=first_vehicle,
            start=start,
        )
        verification = (
            Verification(ok=False, status=None, latency_ms=None, reason="skipped", skipped=True)
            if skip_verify
            else await verify(session, url, token, answer_timeout=answer_timeout, sign=sign_verify)
        )
        if listener is not None:
            listener(verification)
        report = Report(url=url, scenario=scenario, vehicles=vehicles, verification=verification)
        if verify_only or not (verification.ok or verification.skipped):
            return report
        rng = random.Random(seed)  # noqa: S311 (choosing test cases, not secrets)
        plan = _plan(
            steps,
            rng,
            duplicates=duplicates,
            reorder=reorder,
            bad_signature=bad_signature,
            malformed=malformed,
        )
        runner = _Runner(
            session, url, token, speed=speed, answer_timeout=answer_timeout, listener=listener
        )
        report.deliveries = runner.records
        report.events = len(steps)
        live = {
            car.id: LiveVehicle(
                car,
                now_ms(),
                start=(start or {}).get(car.id),
                stamps=saved[car.id].stamps if car.id in saved else None,
            )
            for car in cars
        }
        try:
            await _play(runner, steps, plan, speed, live=live, state=state)
        finally:
            report.duration_s = time.perf_counter() - started
        return report
    finally:
        if driving is not None:
            driving.release()
        if own_session and session is not None:
            await session.close()


async def _play(  # noqa: PLR0913
    runner: _Runner,
    steps: list[Step],
    plan: _Plan,
    speed: float,
    *,
    live: dict[str, LiveVehicle],
    state: StateFile | None,
) -> None:
    loop = asyncio.get_running_loop()
    start = loop.time()
    held: dict[str, _Event] = {}
    duplicates: list[_Event] = []
    for index, step in enumerate(steps):
        await asyncio.sleep(max(0.0, start + step.at * speed - loop.time()))
        vehicle_id = step.vehicle.id
        event = _build(step, live[vehicle_id], state)
        if index in plan.forgeries:
            await runner.forge(event, plan.forgeries[index])
        if index in plan.reorder and vehicle_id not in held:
            held[vehicle_id] = event  # delivered after this car's next event
            continue
        await runner.deliver(event)
        if (older := held.pop(vehicle_id, None)) is not None:
            await runner.deliver(older, tag="reordered")
        for duplicate in duplicates:
            await runner.deliver(duplicate, tag="duplicate")
        duplicates.clear()
        if index in plan.duplicates:
            duplicates.append(event)  # resent after the next event
        if index == plan.malformed_after:
            await runner.malformed(event)
    for event in held.values():
        await runner.deliver(event, tag="reordered")
    for event in duplicates:
        await runner.deliver(event, tag="duplicate")
    await runner.drain()
