"""The delivery engine: Smartcar's side of a webhook, with retries and injected faults.

:func:`run` sends a VERIFY, then every event of a scenario, signed, each delivery with a
new ``deliveryId``/``deliveredAt``. A delivery that is not answered 2xx is retried 25, 50
and 100 seconds after the previous attempt (four attempts, PROTOCOL.md section 7), scaled
by ``speed``, in the background while later events go on; after the fourth failure the
event is dropped. Injected faults (forged and malformed requests) are sent once, never
retried, and are expected to be refused.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import copy
from dataclasses import dataclass
import json
import random
import secrets
import time
from typing import Final

import aiohttp

from .client import SMARTCAR_TIMEOUT, Answer, headers_for, post, verify
from .payloads import (
    JSONObject,
    Vehicle,
    encode,
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
from .scenario import DEFAULT_COUNT, DEFAULT_INTERVAL, LiveVehicle, Step, timeline

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


def _build(step: Step, live: LiveVehicle) -> _Event:
    """Turn a step into an event, updating the car's values and timestamps."""
    now = now_ms()
    event_id = new_id()
    if step.error is not None:
        return _Event(vehicle_error(event_id, step.vehicle, [step.error]), step.vehicle, step.label)
    changed = live.apply(step.changes, now)
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
    Raises ValueError for impossible arguments.
    """
    if speed <= 0:
        raise ValueError("speed must be positive")
    if count < 0 or interval < 0:
        raise ValueError("count and interval must not be negative")
    steps = timeline(scenario, vehicles, count=count, interval=interval)
    own_session = session is None
    if session is None:
        session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(ssl=False) if insecure else None
        )
    started = time.perf_counter()
    try:
        if skip_verify:
            verification = Verification(
                ok=False, status=None, latency_ms=None, reason="skipped", skipped=True
            )
        else:
            verification = await verify(
                session, url, token, answer_timeout=answer_timeout, sign=sign_verify
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
        try:
            await _play(runner, steps, plan, speed)
        finally:
            report.duration_s = time.perf_counter() - started
        return report
    finally:
        if own_session:
            await session.close()


async def _play(runner: _Runner, steps: list[Step], plan: _Plan, speed: float) -> None:
    loop = asyncio.get_running_loop()
    start = loop.time()
    start_ms = now_ms()
    live: dict[str, LiveVehicle] = {}
    held: dict[str, _Event] = {}
    duplicates: list[_Event] = []
    for index, step in enumerate(steps):
        await asyncio.sleep(max(0.0, start + step.at * speed - loop.time()))
        vehicle_id = step.vehicle.id
        car = live.setdefault(vehicle_id, LiveVehicle(step.vehicle, start_ms))
        event = _build(step, car)
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
