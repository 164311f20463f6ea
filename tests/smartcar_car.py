"""A car behind the fake Smartcar API v3 (tests/smartcar_api.py), for the control tests.

Its signals answer ``GET /vehicles/{id}/signals`` and ``/signals/{code}`` in the API's shape
(times in epoch seconds, as Smartcar's documented example has them); its commands answer as
the simulator's car does (``simulator/commands.py``: the permission aside, the same paths,
effects and ``command-execution`` bodies) and change its signals, unless it is told not to
act. ``delivery`` is a webhook delivery of its signals, with the same times. Failures are
queued per request kind and answered in order.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field
import itertools
import re
from typing import Any, Final

from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
    AiohttpClientMockResponse,
)
from yarl import URL

from custom_components.smartcar.api_hosts import VEHICLE_API_URL
from simulator.commands import COMMANDS, execution

from .conftest import EV_ID

# When the car's values were recorded (2025-12-29T08:13:00Z, the fixtures' time), in s.
RECORDED_AT: Final = 1_766_995_980
REQUEST_ID: Final = "req-5e1d"
# The car of the control tests: locked, not charging, its limit at 80 %, its flap shut.
PARKED: Final[dict[str, Any]] = {
    "tractionbattery-stateofcharge": {"value": 63, "unit": "percent"},
    "closure-islocked": {"value": True},
    "charge-ischarging": {"value": False},
    "charge-ischargingportflapopen": {"value": False},
    "charge-chargelimits": {
        "values": [{"type": "GLOBAL", "limit": 80, "condition": None}],
        "activeLimit": 80,
        "unit": "percent",
    },
}
COMMAND: Final = "command"
READ: Final = "read"


@dataclass
class FakeCar:
    """One vehicle's signals and commands at the fake Smartcar."""

    aioclient_mock: AiohttpClientMocker
    bodies: dict[str, Any] = field(default_factory=lambda: dict(PARKED))
    vehicle_id: str = EV_ID
    # Whether the car carries commands out (else Smartcar accepts them, nothing changes).
    acts: bool = True
    # Commands answer 202 (still being carried out) instead of 200.
    pending: bool = False
    recorded_at: dict[str, int] = field(init=False)
    commands: list[tuple[str, Any]] = field(default_factory=list, init=False)
    reads: list[str] = field(default_factory=list, init=False)  # "all" or a signal code
    # Set to hold commands unanswered until it is set; ``commanded`` is set at each command.
    answer_commands: asyncio.Event | None = field(default=None, init=False)
    commanded: asyncio.Event = field(default_factory=asyncio.Event, init=False)
    _failures: dict[str, deque[dict[str, Any]]] = field(init=False)
    _events: itertools.count[int] = field(default_factory=itertools.count, init=False)
    _clock: itertools.count[int] = field(init=False)

    def __post_init__(self) -> None:
        """Answer this car's reads and commands."""
        self.recorded_at = dict.fromkeys(self.bodies, RECORDED_AT)
        self._failures = {COMMAND: deque(), READ: deque()}
        self._clock = itertools.count(RECORDED_AT + 60, 60)
        base = re.escape(f"{VEHICLE_API_URL}/vehicles/{self.vehicle_id}")
        self.aioclient_mock.get(
            re.compile(rf"^{base}/signals(/[^/?]+)?(\?.*)?$"), side_effect=self._read
        )
        self.aioclient_mock.post(re.compile(rf"^{base}/commands/"), side_effect=self._command)

    def fail(self, kind: str, status: int = 0, **answer: Any) -> None:
        """Answer the next request of ``kind`` (COMMAND or READ) with this instead."""
        self._failures[kind].append({"status": status, **answer} if status else answer)

    def change(self, code: str, body: Any) -> None:
        """The car reports a new value, recorded a minute after the last one."""
        self.bodies[code] = body
        self.recorded_at[code] = next(self._clock)

    def delivery(self, *codes: str) -> dict[str, Any]:
        """A VEHICLE_STATE of these signals (all by default) as the car holds them now."""
        return {
            "eventId": f"car-{next(self._events)}",
            "eventType": "VEHICLE_STATE",
            "data": {
                "user": {"id": "user-1"},
                "vehicle": {"id": self.vehicle_id, "make": "KIA", "model": "EV6", "year": 2023},
                "signals": [
                    {
                        "code": code,
                        "name": code.split("-", 1)[1],
                        "group": code.split("-", 1)[0],
                        "body": self.bodies[code],
                        "meta": {
                            "oemUpdatedAt": self.recorded_at[code] * 1000,
                            "retrievedAt": self.recorded_at[code] * 1000 + 1000,
                        },
                    }
                    for code in codes or self.bodies
                ],
            },
            "triggers": [{"type": "SIGNAL_UPDATED", "signal": {"code": (codes or ("",))[0]}}],
            "meta": {"version": "4.0", "deliveredAt": max(self.recorded_at.values()) * 1000 + 2000},
        }

    def _resource(self, code: str) -> dict[str, Any]:
        group, name = code.split("-", 1)
        return {
            "id": code,
            "type": "signal",
            "attributes": {
                "code": code,
                "name": name,
                "group": group,
                "status": {"value": "SUCCESS"},
                "body": self.bodies[code],
            },
            "meta": {
                "oemUpdatedAt": self.recorded_at[code],
                "retrievedAt": self.recorded_at[code] + 1,
            },
        }

    async def _read(self, method: str, url: URL, data: Any) -> AiohttpClientMockResponse:
        code = url.path.rsplit("/signals", 1)[1].lstrip("/")
        self.reads.append(code or "all")
        if self._failures[READ]:
            return _answer(method, url, self._failures[READ].popleft())
        if code:
            return AiohttpClientMockResponse(method, url, json={"data": self._resource(code)})
        items = [self._resource(code) for code in self.bodies]
        page = {"data": items, "meta": {"page": 1, "pageSize": 50, "totalCount": len(items)}}
        return AiohttpClientMockResponse(method, url, json=page)

    async def _command(self, method: str, url: URL, data: Any) -> AiohttpClientMockResponse:
        path = url.path.split("/commands/", 1)[1]
        self.commands.append((path, data))
        self.commanded.set()
        if self.answer_commands is not None:
            await self.answer_commands.wait()
        if self._failures[COMMAND]:
            return _answer(method, url, self._failures[COMMAND].popleft())
        command = COMMANDS.get(path)
        if command is None:  # the simulated cars have no motorised flap
            body = {"type": "COMPATIBILITY", "code": "VEHICLE_NOT_CAPABLE", "status": 501}
            return _answer(method, url, {"status": 501, "json": body})
        if self.acts:
            for code, body in command.effect(data).items():
                if code in self.bodies:
                    self.change(code, body)
        return _answer(
            method,
            url,
            {
                "status": 202 if self.pending else 200,
                "json": execution(path, data, pending=self.pending),
            },
        )


def _answer(method: str, url: URL, answer: dict[str, Any]) -> AiohttpClientMockResponse:
    headers = {"sc-request-id": REQUEST_ID, **answer.pop("headers", {})}
    return AiohttpClientMockResponse(method, url, headers=headers, **answer)
