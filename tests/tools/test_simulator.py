"""The Smartcar simulator (``simulator/``), checked against receivers started in the test.

A small aiohttp receiver on a loopback port checks requests the way PROTOCOL.md tells a
receiver to (HMAC over the raw bytes, 401/400/413, de-duplication on ``eventId``,
last-write-wins on ``oemUpdatedAt``), so these tests prove what the simulator puts on the
wire. One test runs the simulator against the real integration as well.
"""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
import hashlib
import hmac
import io
import itertools
import json
import os
from pathlib import Path
import re
import socket
import subprocess
import time
from typing import Any

from aiohttp import web
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from homeassistant.core import HomeAssistant

import simulator
from simulator.cli import main_async
from simulator.engine import (
    StateError,
    StateFile,
    VehiclesBusyError,
    _process_start,
    default_state_file,
)
from simulator.payloads import SIGNAL_CODES, doors_body, initial_bodies
from simulator.scenario import at_rest, start_bodies
from tests.conftest import TOKEN, WEBHOOK_PATH

pytestmark = pytest.mark.usefixtures("socket_enabled", "private_state_file")

FAST = 0.001  # --speed: the whole retry schedule (175 s) takes 175 ms
ROOT = Path(__file__).parents[2]
PATH = "/api/webhook/simulated"


@pytest.fixture
def private_state_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """The command line's default state file, in the test's directory (not the user's)."""
    path = tmp_path / "default-state" / "vehicles.json"
    monkeypatch.setenv("SMARTCAR_SIMULATOR_STATE", str(path))
    return path


def _hmac(token: str, message: bytes) -> str:
    return hmac.new(token.encode(), message, hashlib.sha256).hexdigest()


@dataclass
class Seen:
    """One request as the receiver got it."""

    at: float
    headers: dict[str, str]
    body: bytes
    status: int = 0

    @property
    def document(self) -> Any:
        """The body, parsed."""
        return json.loads(self.body)


@dataclass
class Receiver:
    """A webhook receiver that follows Smartcar's documented recipe.

    ``verify_answer`` replaces the VERIFY answer; ``fail`` forces a status for the n-th
    attempt of an event; ``check_signatures`` off makes a receiver with a security bug.
    """

    token: str = TOKEN
    verify_answer: Callable[[str], web.Response] | None = None
    fail: Callable[[dict[str, Any], int], int | None] | None = None
    check_signatures: bool = True
    requests: list[Seen] = field(default_factory=list)
    attempts: Counter[str] = field(default_factory=Counter)
    applied: set[str] = field(default_factory=set)
    signals: dict[str, dict[str, tuple[int, Any]]] = field(
        default_factory=lambda: defaultdict(dict)
    )
    errors: dict[str, dict[str, str]] = field(default_factory=lambda: defaultdict(dict))

    async def handle(self, request: web.Request) -> web.Response:
        """The aiohttp handler: record the request, then answer it."""
        seen = Seen(time.monotonic(), dict(request.headers), await request.read())
        self.requests.append(seen)
        response = self._answer(seen)
        seen.status = response.status
        return response

    def _answer(self, seen: Seen) -> web.Response:
        if len(seen.body) > 64 * 1024:
            return web.json_response({"error": "body over 64 KiB"}, status=413)
        try:
            document = json.loads(seen.body)
        except ValueError:
            return web.json_response({"error": "body is not JSON"}, status=400)
        if not isinstance(document, dict):
            return web.json_response({"error": "body is not a JSON object"}, status=400)
        if document.get("eventType") == "VERIFY":
            challenge = document["data"]["challenge"]
            if self.verify_answer is not None:
                return self.verify_answer(challenge)
            return web.json_response({"challenge": _hmac(self.token, challenge.encode())})
        signature = seen.headers.get("SC-Signature", "")
        if self.check_signatures and not hmac.compare_digest(
            signature, _hmac(self.token, seen.body)
        ):
            return web.json_response({"error": "signature mismatch"}, status=401)
        return self._apply(document)

    def _apply(self, document: dict[str, Any]) -> web.Response:
        event_id = document["eventId"]
        self.attempts[event_id] += 1
        if self.fail is not None and (status := self.fail(document, self.attempts[event_id])):
            return web.json_response({"error": "try again"}, status=status)
        if event_id in self.applied:
            return web.json_response({"result": "duplicate"})
        self.applied.add(event_id)
        vehicle_id = document["data"]["vehicle"]["id"]
        for signal in document["data"].get("signals", []):
            stamp = signal["meta"]["oemUpdatedAt"]
            known = self.signals[vehicle_id].get(signal["code"])
            if known is None or stamp >= known[0]:
                self.signals[vehicle_id][signal["code"]] = (stamp, signal["body"])
        for error in document["data"].get("errors", []):
            self.errors[vehicle_id][error["code"]] = error["state"]
        return web.json_response({"result": "applied"})

    def events(self, event_type: str = "VEHICLE_STATE") -> list[Seen]:
        """Well-formed, correctly signed deliveries of one event type, in arrival order."""
        return [
            seen
            for seen in self.requests
            if seen.status not in (400, 401, 413) and seen.document["eventType"] == event_type
        ]

    def final_values(self) -> dict[str, dict[str, Any]]:
        """Per vehicle, each signal's body with the newest ``oemUpdatedAt``."""
        return {
            vehicle: {code: body for code, (_, body) in codes.items()}
            for vehicle, codes in self.signals.items()
        }


type Serve = Callable[[Receiver], Awaitable[str]]


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    """Start receivers on free loopback ports; return their callback URLs."""
    runners: list[web.AppRunner] = []

    async def _serve(receiver: Receiver) -> str:
        app = web.Application()
        app.router.add_post(PATH, receiver.handle)
        runner = web.AppRunner(app)
        await runner.setup()
        runners.append(runner)
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        port = runner.addresses[0][1]
        return f"http://127.0.0.1:{port}{PATH}"

    yield _serve
    for runner in runners:
        await runner.cleanup()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- VERIFY ------------------------------------------------------------------------------


async def test_verify_passes_and_has_the_v4_shape(serve: Serve) -> None:
    """The VERIFY is v4, unsigned by default, and a correct answer passes."""
    receiver = Receiver()
    report = await simulator.run(await serve(receiver), TOKEN, verify_only=True)
    assert report.verification.ok
    assert report.exit_code == 0
    assert report.deliveries == []
    (seen,) = receiver.requests
    document = seen.document
    assert document["eventType"] == "VERIFY"
    assert set(document) == {"eventId", "eventType", "data", "meta"}
    assert document["data"]["challenge"] == report.verification.challenge
    assert document["meta"]["version"] == "4.0"
    assert {"webhookId", "webhookName", "deliveryId", "deliveredAt"} <= set(document["meta"])
    assert "SC-Signature" not in seen.headers
    assert seen.headers["Content-Type"] == "application/json"


async def test_sign_verify_adds_a_valid_signature(serve: Serve) -> None:
    """--sign-verify signs the VERIFY's exact bytes."""
    receiver = Receiver()
    await simulator.run(await serve(receiver), TOKEN, verify_only=True, sign_verify=True)
    (seen,) = receiver.requests
    assert seen.headers["SC-Signature"] == _hmac(TOKEN, seen.body)


def _hash_with(token: str) -> Callable[[str], web.Response]:
    return lambda challenge: web.json_response({"challenge": _hmac(token, challenge.encode())})


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (_hash_with("another-token"), "the token in Home Assistant does not match"),
        (
            lambda challenge: web.json_response(
                {"challenge": _hmac(TOKEN, challenge.encode()).upper()}
            ),
            "upper-case",
        ),
        (lambda challenge: web.json_response({"challenge": challenge}), "echoes the challenge"),
        (lambda _: web.Response(status=200), "webhook id"),
        (lambda _: web.json_response({"error": "nope"}, status=503), "HTTP 503 (nope)"),
        (lambda _: web.json_response({"error": "signature"}, status=401), "does not match"),
        (lambda _: web.json_response({"other": 1}), 'no "challenge"'),
        (
            lambda _: web.Response(status=302, headers={"Location": "https://example.invalid/"}),
            "redirect to https://example.invalid/",
        ),
    ],
    ids=["wrong-token", "upper-case", "echo", "empty-200", "503", "401", "no-challenge", "302"],
)
async def test_verify_failures_are_explained(
    serve: Serve, answer: Callable[[str], web.Response], reason: str
) -> None:
    """A failed VERIFY says why, stops the run before vehicle data and exits 1."""
    receiver = Receiver(verify_answer=answer)
    report = await simulator.run(await serve(receiver), TOKEN)
    assert not report.verification.ok
    assert reason in report.verification.reason
    assert report.deliveries == []
    assert len(receiver.requests) == 1
    assert report.exit_code == 1


async def test_verify_connection_refused() -> None:
    """Nothing listening is reported as such."""
    report = await simulator.run(f"http://127.0.0.1:{_free_port()}{PATH}", TOKEN)
    assert report.verification.status is None
    assert "connection refused" in report.verification.reason
    assert report.exit_code == 1


# --- The wire format ---------------------------------------------------------------------


def _check_envelope(seen: Seen, delivery_ids: set[str]) -> dict[str, Any]:
    """Signature over the exact bytes, compact JSON, v4 envelope; returns the document."""
    assert seen.headers["SC-Signature"] == _hmac(TOKEN, seen.body)
    assert seen.headers["Content-Type"] == "application/json"
    assert seen.headers["User-Agent"].startswith("Smartcar/")
    document: dict[str, Any] = seen.document
    assert seen.body == json.dumps(document, separators=(",", ":")).encode()
    meta = document["meta"]
    assert meta["version"] == "4.0"
    assert meta["mode"] == "LIVE"
    assert isinstance(meta["deliveredAt"], int)
    assert meta["deliveryId"] not in delivery_ids
    delivery_ids.add(meta["deliveryId"])
    vehicle = document["data"]["vehicle"]
    assert vehicle["make"] == vehicle["make"].upper()
    assert set(vehicle) == {"id", "make", "model", "year"}
    assert document["data"]["user"]["id"]
    if document["eventType"] == "VEHICLE_ERROR":
        assert "signalCount" not in meta
        (error,) = document["data"]["errors"]
        assert (error["type"], error["code"]) == ("VEHICLE_STATE", "ASLEEP")
        assert error["resolution"] == {"type": "RETRY_LATER"}
    else:
        assert meta["signalCount"] == len(document["data"]["signals"])
    return document


def _check_signals(document: dict[str, Any], last: dict[str, tuple[int, Any]]) -> None:
    """All selected signals; oemUpdatedAt moves exactly when a value changes; triggers."""
    signals = document["data"]["signals"]
    assert [signal["code"] for signal in signals] == list(SIGNAL_CODES)
    triggers = document["triggers"]
    first = not last
    if first:
        assert triggers == [{"type": "FIRST_DELIVERY"}]
    changed = set()
    for signal in signals:
        assert set(signal) == {"code", "name", "group", "body", "meta"}
        stamp = signal["meta"]["oemUpdatedAt"]
        assert stamp <= signal["meta"]["retrievedAt"] <= document["meta"]["deliveredAt"]
        if not first:
            old_stamp, old_body = last[signal["code"]]
            assert (stamp > old_stamp) == (signal["body"] != old_body)
            assert stamp >= old_stamp
            if stamp > old_stamp:
                changed.add(signal["code"])
        last[signal["code"]] = (stamp, signal["body"])
    if not first:
        assert all(trigger["type"] == "SIGNAL_UPDATED" for trigger in triggers)
        assert {trigger["signal"]["code"] for trigger in triggers} == changed


async def test_full_scenario_is_signed_and_shaped_like_live_traffic(serve: Serve) -> None:
    """Every delivery: exact-bytes HMAC, compact JSON, v4 shape, all signals, honest stamps."""
    receiver = Receiver()
    report = await simulator.run(await serve(receiver), TOKEN, vehicles=2, speed=FAST)
    assert report.exit_code == 0, report.summary_lines()
    expected = simulator.expected_state("full", 2)
    assert report.events == len(simulator.timeline("full", 2))
    assert report.accepted == report.events == len(receiver.requests) - 1
    assert report.summary()["rejected"] == {}

    delivery_ids: set[str] = set()
    last: dict[str, dict[str, tuple[int, Any]]] = defaultdict(dict)
    for seen in receiver.requests[1:]:
        document = _check_envelope(seen, delivery_ids)
        if document["eventType"] == "VEHICLE_STATE":
            _check_signals(document, last[document["data"]["vehicle"]["id"]])

    assert receiver.final_values() == {v: e.signals for v, e in expected.items()}
    assert {v: dict(e) for v, e in receiver.errors.items()} == {
        v: {"ASLEEP": "RESOLVED"} for v in expected
    }
    kia = next(e for e in expected.values() if e.vehicle.make == "KIA")
    assert kia.value("tractionbattery-stateofcharge") == 80
    assert kia.value("charge-detailedchargingstatus") == "NOT_CHARGING"
    assert kia.value("closure-islocked") is True
    assert kia.active_errors == ()


async def test_story_of_the_full_scenario(serve: Serve) -> None:
    """Plug, charge with a rising SoC to FULLY_CHARGED, unplug, doors, trunk, lock, drive."""
    receiver = Receiver()
    await simulator.run(await serve(receiver), TOKEN, speed=FAST)

    def values(code: str, field_: str = "value") -> list[Any]:
        series: list[Any] = []
        for seen in receiver.events():
            body = next(s["body"] for s in seen.document["data"]["signals"] if s["code"] == code)
            value = body.get(field_)
            if not series or series[-1] != value:
                series.append(value)
        return series

    assert values("charge-ischargingcableconnected") == [False, True, False]
    assert values("charge-detailedchargingstatus") == [
        "NOT_CHARGING",
        "CHARGING",
        "FULLY_CHARGED",
        "NOT_CHARGING",
    ]
    soc = values("tractionbattery-stateofcharge")
    charging = soc[soc.index(min(soc)) :]
    assert charging == sorted(charging)
    assert len(charging) >= 5
    assert charging[-1] == 80
    assert values("charge-energyadded") == sorted(values("charge-energyadded"))
    assert values("closure-islocked") == [True, False, True]
    assert values("closure-reartrunk", "isOpen") == [False, True, False]
    assert len(values("odometer-traveleddistance")) == 5
    assert values("odometer-traveleddistance") == sorted(values("odometer-traveleddistance"))
    assert values("motion-currentspeed")[-1] == 0
    assert len(values("location-preciselocation", "latitude")) == 5
    doors = values("closure-doors", "values")
    assert any(door["isOpen"] for door in doors[2])
    errors = [seen.document["data"]["errors"][0] for seen in receiver.events("VEHICLE_ERROR")]
    assert [error["state"] for error in errors] == ["ERROR", "RESOLVED"]


async def test_idle_changes_nothing(serve: Serve) -> None:
    """The "idle" deliveries repeat the same values and timestamps."""
    receiver = Receiver()
    report = await simulator.run(await serve(receiver), TOKEN, scenario="idle", speed=FAST)
    assert report.exit_code == 0
    states = [seen.document["data"]["signals"] for seen in receiver.events()]
    assert len(states) == 4
    for signals in states[1:]:
        assert [(s["body"], s["meta"]["oemUpdatedAt"]) for s in signals] == [
            (s["body"], s["meta"]["oemUpdatedAt"]) for s in states[0]
        ]


async def test_stream_changes_something_every_time(serve: Serve) -> None:
    """--scenario stream --count N: N deliveries across the cars, each with a change."""
    receiver = Receiver()
    report = await simulator.run(
        await serve(receiver),
        TOKEN,
        scenario="stream",
        vehicles=3,
        count=30,
        interval=0.5,
        speed=FAST,
    )
    assert report.exit_code == 0
    assert report.events == len(report.deliveries) == 30
    previous: dict[str, dict[str, Any]] = {}
    for seen in receiver.events():
        document = seen.document
        vehicle = document["data"]["vehicle"]["id"]
        bodies = {s["code"]: s["body"] for s in document["data"]["signals"]}
        if vehicle in previous:
            changed = [code for code in bodies if bodies[code] != previous[vehicle][code]]
            assert 1 <= len(changed) <= 7  # e.g. "charge complete": 7 signals
        previous[vehicle] = bodies
    assert receiver.final_values() == {
        v: e.signals
        for v, e in simulator.expected_state("stream", 3, count=30, interval=0.5).items()
    }


# --- Retries -----------------------------------------------------------------------------


async def test_retries_keep_the_event_id_and_follow_the_scaled_schedule(serve: Serve) -> None:
    """Three 503s, then 200: four attempts 25, 50 and 100 s (scaled) apart, new deliveryIds."""
    target: list[str] = []

    def fail(document: dict[str, Any], attempt: int) -> int | None:
        codes = {trigger.get("signal", {}).get("code") for trigger in document.get("triggers", [])}
        if not target and "closure-islocked" in codes:  # the first unlock
            target.append(document["eventId"])
        if document["eventId"] in target and attempt < 4:
            return 503
        return None

    receiver = Receiver(fail=fail)
    speed = 0.002
    report = await simulator.run(await serve(receiver), TOKEN, speed=speed)
    assert report.exit_code == 0, report.summary_lines()
    (event_id,) = target
    attempts = [seen for seen in receiver.events() if seen.document["eventId"] == event_id]
    assert len(attempts) == 4
    assert len({seen.document["meta"]["deliveryId"] for seen in attempts}) == 4
    delivered_at = [seen.document["meta"]["deliveredAt"] for seen in attempts]
    assert delivered_at == sorted(delivered_at)
    # Only the per-attempt meta differs between attempts.
    for seen in attempts[1:]:
        assert {**seen.document, "meta": None} == {**attempts[0].document, "meta": None}
    # Attempt n is sent 25, 75 and 175 s (scaled) after the first one, not earlier: the
    # exponential backoff, on the sender's clock (times of arrival on a loaded machine move
    # both ways, so they are not compared).
    schedule = [sum(simulator.RETRY_DELAYS[:n]) * speed * 1000 for n in range(1, 4)]
    for at, due in zip(delivered_at[1:], schedule, strict=True):
        assert due - 1 <= at - delivered_at[0] < due + 500
    assert report.retried == 3
    assert report.dropped == 0
    assert report.rejected == {"503": 3}
    outcomes = [r.outcome for r in report.deliveries if r.event_id == event_id]
    assert outcomes == ["retrying", "retrying", "retrying", "accepted"]
    assert receiver.final_values() == {
        v: e.signals for v, e in simulator.expected_state("full").items()
    }


async def test_an_event_refused_four_times_is_dropped_and_fails_the_run(serve: Serve) -> None:
    """After the fourth refusal the event is dropped; the run exits 1."""
    receiver = Receiver(
        fail=lambda document, _: 500 if document["eventType"] == "VEHICLE_ERROR" else None
    )
    report = await simulator.run(await serve(receiver), TOKEN, speed=FAST)
    assert report.dropped == 2
    assert report.retried == 6
    assert report.rejected == {"500": 8}
    assert report.exit_code == 1
    assert "dropped" in report.summary_lines()[-1]


async def test_unreachable_receiver_is_retried(serve: Serve) -> None:
    """--skip-verify against nothing: every event is tried four times and dropped."""
    report = await simulator.run(
        f"http://127.0.0.1:{_free_port()}{PATH}",
        TOKEN,
        scenario="idle",
        skip_verify=True,
        speed=FAST,
    )
    assert report.verification.skipped
    assert len(report.deliveries) == 4 * 4
    assert report.rejected == {"no answer": 16}
    assert "connection refused" in (report.deliveries[0].error or "")
    assert report.exit_code == 1


# --- Fault injection ---------------------------------------------------------------------


async def test_injected_faults_get_the_expected_answers(serve: Serve) -> None:
    """Duplicates, reordering, forged and malformed requests; the run still passes."""
    receiver = Receiver()
    report = await simulator.run(
        await serve(receiver),
        TOKEN,
        vehicles=2,
        speed=FAST,
        duplicates=True,
        reorder=True,
        bad_signature=True,
        malformed=True,
        seed=7,
    )
    assert report.exit_code == 0, report.summary_lines()
    summary = report.summary()
    assert summary["duplicates"] >= 1
    assert summary["reordered"] >= 1
    faults = summary["faults"]
    assert faults["injected"] == faults["rejected_as_expected"] >= 8
    kinds = faults["by_kind"]
    assert {kind for kind in kinds if kind.startswith("bad-signature")} == {
        "bad-signature: wrong key",
        "bad-signature: no signature",
        "bad-signature: signed compact JSON, sent pretty-printed",
    }
    assert {kind for kind in kinds if kind.startswith("malformed")} == {
        "malformed: not JSON",
        "malformed: truncated JSON",
        "malformed: JSON array",
        "malformed: JSON string",
        "malformed: body over 64 KiB",
    }
    statuses = Counter(seen.status for seen in receiver.requests)
    assert statuses[401] == sum(
        count for kind, count in kinds.items() if kind.startswith("bad-signature")
    )
    assert statuses[413] == 1
    assert statuses[400] == 4

    # Duplicates: the same eventId again, with a new deliveryId, answered "duplicate".
    duplicates = [r for r in report.deliveries if r.tag == "duplicate"]
    assert {r.result for r in duplicates} == {"duplicate"}
    by_event: dict[str, list[str]] = defaultdict(list)
    for seen in receiver.events() + receiver.events("VEHICLE_ERROR"):
        if seen.status == 200:
            by_event[seen.document["eventId"]].append(seen.document["meta"]["deliveryId"])
    for record in duplicates:
        deliveries = by_event[record.event_id or ""]
        assert len(deliveries) == len(set(deliveries)) >= 2

    # Reordering: an older state of a car arrives after a newer one.
    newest: dict[str, int] = {}
    late = 0
    for seen in receiver.events():
        if seen.status != 200:
            continue
        document = seen.document
        vehicle = document["data"]["vehicle"]["id"]
        stamp = max(s["meta"]["oemUpdatedAt"] for s in document["data"]["signals"])
        late += stamp < newest.get(vehicle, 0)
        newest[vehicle] = max(stamp, newest.get(vehicle, 0))
    assert late >= summary["reordered"]

    # Forged copies reuse a real eventId; the genuine event is still applied afterwards.
    forged = [r for r in report.deliveries if r.fault and r.fault.startswith("bad-signature")]
    assert all(r.event_id in receiver.applied for r in forged)
    assert receiver.final_values() == {
        v: e.signals for v, e in simulator.expected_state("full", 2).items()
    }


async def test_accepting_a_forged_request_fails_the_run(serve: Serve) -> None:
    """A receiver that skips the signature check fails: forged requests were accepted."""
    receiver = Receiver(check_signatures=False)
    report = await simulator.run(
        await serve(receiver), TOKEN, scenario="idle", speed=FAST, bad_signature=True, seed=1
    )
    assert report.faults_accepted
    assert report.dropped == 0
    assert report.exit_code == 1
    assert "accepted" in report.summary_lines()[-1]


# --- Command line ------------------------------------------------------------------------


async def test_cli_prints_json_lines(serve: Serve, monkeypatch: pytest.MonkeyPatch) -> None:
    """--json: one object per line; URL and token from the environment; exit code 0."""
    receiver = Receiver()
    monkeypatch.setenv("SMARTCAR_URL", await serve(receiver))
    monkeypatch.setenv("SMARTCAR_AMT", TOKEN)
    out = io.StringIO()
    code = await main_async(
        ["--json", "--scenario", "idle", "--speed", str(FAST), "--malformed"], out
    )
    assert code == 0
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [line["type"] for line in lines] == [
        "start",
        "verify",
        *["delivery"] * 9,
        "summary",
    ]
    assert TOKEN not in out.getvalue()
    assert lines[1]["ok"] is True
    deliveries = lines[2:-1]
    assert {d["status"] for d in deliveries if d["fault"] is None} == {200}
    assert {d["outcome"] for d in deliveries if d["fault"]} == {"fault-rejected"}
    assert all(isinstance(d["latency_ms"], float) for d in deliveries)
    assert lines[-1]["exit_code"] == 0
    assert lines[-1]["faults"]["rejected_as_expected"] == 5


async def test_cli_explains_a_failed_verification(serve: Serve) -> None:
    """The human report names the cause; the exit code is 1."""
    receiver = Receiver(verify_answer=_hash_with("wrong"))
    out = io.StringIO()
    code = await main_async([await serve(receiver), TOKEN], out)
    assert code == 1
    text = out.getvalue()
    assert "VERIFY   FAIL 200" in text
    assert "the token in Home Assistant does not match" in text
    assert "Result: FAIL (verification failed)" in text


def test_wrapper_script_runs_the_module() -> None:
    """scripts/simulate is executable and reaches the module's --help."""
    script = ROOT / "scripts" / "simulate"
    assert os.access(script, os.X_OK)
    result = subprocess.run(  # noqa: S603
        [str(script), "--help"], capture_output=True, text=True, check=False, timeout=30
    )
    assert result.returncode == 0, result.stderr
    assert "--bad-signature" in result.stdout


async def test_cli_needs_a_url_and_a_token(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without arguments or SMARTCAR_URL/SMARTCAR_AMT it is a usage error (exit 2)."""
    monkeypatch.delenv("SMARTCAR_URL", raising=False)
    monkeypatch.delenv("SMARTCAR_AMT", raising=False)
    with pytest.raises(SystemExit) as exit_info:
        await main_async([])
    assert exit_info.value.code == 2
    assert "SMARTCAR_URL" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        await main_async(["http://127.0.0.1:1/x"])
    assert "SMARTCAR_AMT" in capsys.readouterr().err


def test_simulator_is_independent_of_the_integration() -> None:
    """It never imports the integration, and HACS does not ship it."""
    imports = re.compile(r"^\s*(from|import)\s+(custom_components|\.\.)", re.MULTILINE)
    for path in (ROOT / "simulator").glob("*.py"):
        assert not imports.search(path.read_text()), path
    assert not (ROOT / "custom_components" / "simulator").exists()


def test_expected_state_matches_the_timeline() -> None:
    """Distinct cars; the expected state is the last change of each signal."""
    vehicles = simulator.fleet(10)
    assert len({v.id for v in vehicles}) == 10
    assert len({(v.make, v.model) for v in vehicles}) == 8
    assert simulator.fleet(2) == vehicles[:2]  # stable ids across runs
    expected = simulator.expected_state("full", 3)
    assert list(expected) == [v.id for v in vehicles[:3]]
    for state in expected.values():
        assert set(state.signals) == set(SIGNAL_CODES)
    with pytest.raises(ValueError, match="unknown scenario"):
        simulator.expected_state("nope")


# --- Against the integration -------------------------------------------------------------


async def test_full_scenario_against_the_integration(
    hass: HomeAssistant, integration: MockConfigEntry, hass_client_no_auth: Any
) -> None:
    """The real integration passes, and its entities end in the expected state.

    It answers the VERIFY, accepts every genuine event, refuses every injected fault.
    """
    client = await hass_client_no_auth()
    url = str(client.make_url(WEBHOOK_PATH))
    report = await simulator.run(
        url,
        TOKEN,
        vehicles=2,
        speed=FAST,
        duplicates=True,
        reorder=True,
        bad_signature=True,
        malformed=True,
        seed=3,
    )
    await hass.async_block_till_done()
    assert report.exit_code == 0, "\n".join(report.summary_lines())
    assert report.verification.ok
    assert report.summary()["faults"]["other_answer"] == 0
    assert {r.result for r in report.genuine if r.tag == "duplicate"} == {"duplicate"}

    expected = simulator.expected_state("full", 2)
    for vehicle in expected.values():
        prefix = f"{vehicle.vehicle.make} {vehicle.vehicle.model}".lower().replace(" ", "_")
        battery = hass.states.get(f"sensor.{prefix}_battery")
        assert battery is not None
        assert float(battery.state) == vehicle.value("tractionbattery-stateofcharge")
        odometer = hass.states.get(f"sensor.{prefix}_odometer")
        assert odometer is not None
        assert float(odometer.state) == vehicle.value("odometer-traveleddistance")
        lock = hass.states.get(f"binary_sensor.{prefix}_lock")
        assert lock is not None
        assert lock.state == ("off" if vehicle.value("closure-islocked") else "on")
        plugged = hass.states.get(f"binary_sensor.{prefix}_plugged_in")
        assert plugged is not None
        plugged_in = vehicle.value("charge-ischargingcableconnected")
        assert plugged.state == ("on" if plugged_in else "off")
        tracker = hass.states.get(f"device_tracker.{prefix}_location")
        assert tracker is not None
        location = vehicle.signals["location-preciselocation"]
        assert tracker.attributes["latitude"] == location["latitude"]
        assert tracker.attributes["longitude"] == location["longitude"]


# --- The cars behave as cars, within a run and from one run to the next -------------------

LIMIT = 80  # the cars' charge limit (charge-chargelimits)


def _v(bodies: dict[str, Any], code: str) -> Any:
    return bodies[code]["value"]


def _position(bodies: dict[str, Any]) -> tuple[float, float]:
    location = bodies["location-preciselocation"]
    return location["latitude"], location["longitude"]


def _something_open(bodies: dict[str, Any]) -> bool:
    doors = any(door["isOpen"] for door in bodies["closure-doors"]["values"])
    windows = any(window["isOpen"] for window in bodies["closure-windows"]["values"])
    return doors or windows or bodies["closure-reartrunk"]["isOpen"]


def _state_problems(bodies: dict[str, Any], vehicle: simulator.Vehicle) -> list[str]:  # noqa: C901
    """What is inconsistent within one set of values."""
    problems = []
    locked = _v(bodies, "closure-islocked")
    charging = _v(bodies, "charge-ischarging")
    if any(door["isLocked"] != locked for door in bodies["closure-doors"]["values"]):
        problems.append("a door's lock differs from the car's")
    if bodies["closure-reartrunk"]["isLocked"] != locked:
        problems.append("the trunk's lock differs from the car's")
    if _something_open(bodies) and locked:
        problems.append("open and locked")
    if _something_open(bodies) and _v(bodies, "motion-currentspeed") > 0:
        problems.append("open while driving")
    if _v(bodies, "motion-currentspeed") > 0 and _v(bodies, "charge-ischargingcableconnected"):
        problems.append("driving while plugged in")
    if charging and not _v(bodies, "charge-ischargingcableconnected"):
        problems.append("charging while unplugged")
    if charging != (_v(bodies, "charge-detailedchargingstatus") == "CHARGING"):
        problems.append("charging status and flag disagree")
    if charging != (_v(bodies, "charge-wattage") > 0):
        problems.append("charging power and flag disagree")
    if not charging and _v(bodies, "charge-timetocomplete") != 0:
        problems.append("time to complete while not charging")
    soc = _v(bodies, "tractionbattery-stateofcharge")
    if not 0 <= soc <= LIMIT:
        problems.append(f"state of charge {soc} % outside 0-{LIMIT}")
    if _v(bodies, "tractionbattery-range") != round(soc * vehicle.km_per_percent):
        problems.append("range does not match the state of charge")
    return problems


def _change_problems(old: dict[str, Any], new: dict[str, Any]) -> list[str]:  # noqa: C901
    """What is inconsistent in going from ``old`` to ``new`` (one delivery to the next)."""
    problems = []
    driving = _v(old, "motion-currentspeed") > 0 or _v(new, "motion-currentspeed") > 0
    moved = _position(old) != _position(new)
    driven = _v(new, "odometer-traveleddistance") - _v(old, "odometer-traveleddistance")
    if driven < 0:
        problems.append("the odometer went backwards")
    if (moved or driven) and not driving:
        problems.append("moved while parked")
    if (moved or driven) and (_something_open(old) or _something_open(new)):
        problems.append("moved with something open")
    if (moved or driven) and _v(old, "charge-ischargingcableconnected"):
        problems.append("moved while plugged in")
    soc_change = _v(new, "tractionbattery-stateofcharge") - _v(old, "tractionbattery-stateofcharge")
    plugged = _v(old, "charge-ischargingcableconnected") and _v(
        new, "charge-ischargingcableconnected"
    )
    charging = _v(old, "charge-ischarging") or _v(new, "charge-ischarging")
    if soc_change > 0 and not (plugged and charging):
        problems.append("charge rose while not charging")
    if soc_change < 0 and not (driving and (moved or driven)):
        problems.append("charge fell while not driving")
    if _v(old, "closure-islocked") != _v(new, "closure-islocked") and (driving or moved):
        problems.append("the lock changed while driving")
    if _something_open(new) and not _something_open(old) and driving:
        problems.append("opened while driving")
    if _v(new, "charge-ischarging") and not _v(old, "charge-ischarging"):
        if _v(new, "charge-energyadded") != 0:
            problems.append("a charge session did not start from 0 kWh")
    elif _v(new, "charge-energyadded") < _v(old, "charge-energyadded"):
        problems.append("energy added went down within a charge session")
    return problems


def consistency_problems(  # noqa: C901
    runs: list[list[dict[str, Any]]], vehicle: simulator.Vehicle
) -> list[tuple[int, int, str]]:
    """``(run, delivery, problem)`` for one car's values, delivery by delivery, run by run.

    Within a run: :func:`_state_problems` and :func:`_change_problems`, and the lock changes
    only at meaningful moments: between an unlock and the next lock a door or the trunk
    opens or the car drives. From one run to the next: the car continues where it was (same
    place, charge and odometer; coming to rest may only stop, close, lock and unplug it).
    """
    found = []
    previous_run: list[dict[str, Any]] | None = None
    for r, history in enumerate(runs):
        if previous_run is not None and history:
            last, first = previous_run[-1], history[0]
            found += [
                (r, 0, f"{code} changed between runs")
                for code in ("odometer-traveleddistance", "tractionbattery-stateofcharge")
                if _v(first, code) != _v(last, code)
            ]
            if _position(first) != _position(last):
                found.append((r, 0, "moved between runs"))
            if _state_problems(first, vehicle) or _v(first, "motion-currentspeed"):
                found.append((r, 0, "the run did not start at rest"))
        unlocked_at: int | None = None
        eventful = False
        for k, bodies in enumerate(history):
            found += [(r, k, problem) for problem in _state_problems(bodies, vehicle)]
            if k == 0:
                continue
            old = history[k - 1]
            found += [(r, k, problem) for problem in _change_problems(old, bodies)]
            if _something_open(bodies) or _position(old) != _position(bodies):
                eventful = True
            if _v(old, "closure-islocked") and not _v(bodies, "closure-islocked"):
                unlocked_at, eventful = k, False
            elif not _v(old, "closure-islocked") and _v(bodies, "closure-islocked"):
                if unlocked_at is not None and not eventful:
                    found.append((r, k, f"locked again after the unlock at {unlocked_at}"))
                unlocked_at = None
        previous_run = history
    return found


def timeline_histories(
    steps: list[simulator.Step], start: dict[str, dict[str, Any]] | None = None
) -> dict[str, list[dict[str, Any]]]:
    """Per vehicle id, its values after each of its VEHICLE_STATE steps."""
    current: dict[str, dict[str, Any]] = {}
    histories: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for step in steps:
        if step.error is not None:
            continue
        if step.vehicle.id not in current:
            saved = (start or {}).get(step.vehicle.id)
            current[step.vehicle.id] = start_bodies(step.vehicle, saved)
        current[step.vehicle.id].update(json.loads(json.dumps(dict(step.changes))))
        histories[step.vehicle.id].append(json.loads(json.dumps(current[step.vehicle.id])))
    return histories


def silent_steps(
    steps: list[simulator.Step], start: dict[str, dict[str, Any]] | None = None
) -> list[str]:
    """Labels of VEHICLE_STATE steps (after the first) that change nothing and name no trigger.

    Smartcar delivers a VEHICLE_STATE because a signal changed: such a step would be one
    without a reason.
    """
    current: dict[str, dict[str, Any]] = {}
    silent = []
    for step in steps:
        if step.error is not None:
            continue
        bodies = current.setdefault(
            step.vehicle.id, start_bodies(step.vehicle, (start or {}).get(step.vehicle.id))
        )
        unchanged = all(bodies[code] == body for code, body in step.changes.items())
        if not step.first and not step.triggers and unchanged:
            silent.append(step.label)
        bodies.update(json.loads(json.dumps(dict(step.changes))))
    return silent


def wire_histories(receiver: Receiver) -> dict[str, list[dict[str, Any]]]:
    """Per vehicle id, the values of each VEHICLE_STATE the receiver got, in order."""
    histories: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for seen in receiver.events():
        document = seen.document
        histories[document["data"]["vehicle"]["id"]].append(
            {signal["code"]: signal["body"] for signal in document["data"]["signals"]}
        )
    return histories


FLEET = simulator.fleet(10)  # every make and model, and a second lap of two of them
BY_ID = {vehicle.id: vehicle for vehicle in FLEET}


def test_consistency_problems_are_found() -> None:
    """The checker itself: each kind of inconsistency is reported."""
    car = FLEET[0]
    rest = start_bodies(car)

    def changed(**changes: Any) -> dict[str, Any]:
        return {**json.loads(json.dumps(rest)), **changes}

    assert consistency_problems([[rest, rest]], car) == []
    back = changed(**{"odometer-traveleddistance": {"value": car.odometer_km - 1, "unit": "km"}})
    gained = changed(
        **{
            "tractionbattery-stateofcharge": {"value": 50, "unit": "percent"},
            "tractionbattery-range": {"value": round(50 * car.km_per_percent)},
        }
    )
    unlocked = changed(
        **{
            "closure-islocked": {"value": False},
            "closure-doors": doors_body(locked=False),
            "closure-reartrunk": {"isOpen": False, "isLocked": False},
        }
    )
    problems = {p for _, _, p in consistency_problems([[rest, back, rest]], car)}
    assert "the odometer went backwards" in problems
    assert "moved while parked" in problems
    problems = {p for _, _, p in consistency_problems([[rest, gained]], car)}
    assert "charge rose while not charging" in problems
    problems = {p for _, _, p in consistency_problems([[rest, unlocked, rest]], car)}
    assert problems == {"locked again after the unlock at 1"}
    problems = {p for _, _, p in consistency_problems([[rest], [back]], car)}
    assert "odometer-traveleddistance changed between runs" in problems


def test_initial_values_are_at_rest() -> None:
    """Without a saved state a run starts from the initial values, unchanged."""
    for vehicle in FLEET:
        initial = initial_bodies(vehicle)
        assert start_bodies(vehicle) == initial
        assert at_rest(vehicle, initial) == initial
        assert _state_problems(initial, vehicle) == []


@pytest.mark.parametrize("scenario", simulator.SCENARIOS)
def test_every_scenario_is_consistent(scenario: str) -> None:
    """Every car of every scenario: no inconsistent values, no inconsistent change."""
    steps = simulator.timeline(scenario, len(FLEET), count=1500, interval=5.0)
    assert silent_steps(steps) == []
    histories = timeline_histories(steps)
    assert set(histories) == set(BY_ID)
    for vehicle_id, history in histories.items():
        assert consistency_problems([history], BY_ID[vehicle_id]) == [], BY_ID[vehicle_id]


def test_the_stream_lives_a_cars_life() -> None:
    """The stream drives, parks, locks, charges to the limit and stays near home."""
    steps = simulator.timeline("stream", 2, count=1200, interval=5.0)
    for vehicle_id, history in timeline_histories(steps).items():
        car = BY_ID[vehicle_id]
        odometer = [_v(b, "odometer-traveleddistance") for b in history]
        soc = [_v(b, "tractionbattery-stateofcharge") for b in history]
        locks = [_v(b, "closure-islocked") for b in history]
        lock_changes = sum(a != b for a, b in itertools.pairwise(locks))
        assert odometer[-1] - odometer[0] > 100  # it drives
        assert LIMIT in soc  # it charges to the limit
        assert min(soc) >= 30  # it charges before the battery runs low
        assert sum(_v(b, "charge-ischarging") for b in history) > 20
        # The lock changes twice a trip (unlocked to leave, locked on arrival), no more.
        speeds = [_v(b, "motion-currentspeed") for b in history]
        trips = sum(a == 0 < b for a, b in itertools.pairwise(speeds))
        assert trips > 10
        assert lock_changes <= 2 * trips + 1
        north = (_position(history[-1])[0] - car.latitude) * 111.2
        assert abs(north) < 50  # it comes back towards home


def test_a_run_continues_from_a_saved_state() -> None:
    """Every scenario, started where another left the cars: consistent across the two."""
    for scenario in simulator.SCENARIOS:
        for before in simulator.SCENARIOS:
            first = simulator.timeline(before, 3, count=77, interval=5.0)
            left = simulator.expected_state(before, 3, count=77, interval=5.0)
            start = {vehicle_id: car.signals for vehicle_id, car in left.items()}
            second = simulator.timeline(scenario, 3, count=90, interval=5.0, start=start)
            assert silent_steps(second, start) == [], (before, scenario)
            one, two = timeline_histories(first), timeline_histories(second, start)
            for vehicle_id in one:
                runs = [one[vehicle_id], two[vehicle_id]]
                assert consistency_problems(runs, BY_ID[vehicle_id]) == [], (before, scenario)


def test_coming_to_rest_keeps_the_car_where_it_was() -> None:
    """Saved mid-drive and mid-charge: the next run starts parked, closed, locked, unplugged."""
    car = FLEET[1]
    steps = simulator.timeline("stream", 1, count=500, interval=5.0, first_vehicle=1)
    history = timeline_histories(steps)[car.id]
    busy = [b for b in history if _v(b, "motion-currentspeed") > 0 or _v(b, "charge-ischarging")]
    assert busy
    for saved in busy:
        rest = start_bodies(car, saved)
        assert consistency_problems([[saved], [rest]], car) == []
        assert _v(rest, "motion-currentspeed") == 0
        assert _v(rest, "closure-islocked") is True
        assert _v(rest, "charge-ischargingcableconnected") is False
        for code in ("odometer-traveleddistance", "tractionbattery-stateofcharge"):
            assert _v(rest, code) == _v(saved, code)


async def test_consecutive_runs_continue_through_the_state_file(
    serve: Serve, tmp_path: Path
) -> None:
    """Two runs of each kind with one state file: what a receiver sees stays consistent.

    The second run starts where the first left the cars (odometer, charge, place), with the
    same oemUpdatedAt for what did not change, so a last-write-wins receiver ends in the
    expected state of a run from there; the file holds that state afterwards.
    """
    state = StateFile(tmp_path / "vehicles.json", "test")
    receiver = Receiver()
    url = await serve(receiver)
    runs = [("full", 0), ("stream", 41), ("full", 0), ("idle", 0), ("stream", 60)]
    boundaries: list[dict[str, int]] = []
    expected: dict[str, simulator.ExpectedVehicle] = {}
    for scenario, count in runs:
        boundaries.append(
            {vehicle_id: len(history) for vehicle_id, history in wire_histories(receiver).items()}
        )
        saved = {vehicle_id: car.signals for vehicle_id, car in state.saved().items()}
        expected = simulator.expected_state(scenario, 3, count=count, interval=5.0, start=saved)
        report = await simulator.run(
            url, TOKEN, vehicles=3, scenario=scenario, count=count, speed=FAST, state=state
        )
        assert report.exit_code == 0, report.summary_lines()
        assert report.events == len(
            simulator.timeline(scenario, 3, count=count, interval=5.0, start=saved)
        )
        assert receiver.final_values() == {v: e.signals for v, e in expected.items()}
    assert {v: car.signals for v, car in state.saved().items()} == {
        v: e.signals for v, e in expected.items()
    }
    histories = wire_histories(receiver)
    assert set(histories) == {vehicle.id for vehicle in FLEET[:3]}
    for vehicle_id, history in histories.items():
        cuts = [boundary.get(vehicle_id, 0) for boundary in boundaries] + [len(history)]
        per_run = [history[a:b] for a, b in itertools.pairwise(cuts)]
        assert consistency_problems(per_run, BY_ID[vehicle_id]) == []
        odometer = [_v(bodies, "odometer-traveleddistance") for bodies in history]
        assert odometer == sorted(odometer)
        assert odometer[-1] > odometer[0] + 2 * 14  # two "full" drives and the streams
    # Nothing is left claimed: another process may drive the cars now.
    document = json.loads((tmp_path / "vehicles.json").read_text())
    assert document["drivers"] == {}


def _claim_as(path: Path, vehicle: simulator.Vehicle, pid: int) -> None:
    """Make the state file say that process ``pid`` drives ``vehicle``."""
    document = json.loads(path.read_text()) if path.exists() else {}
    document.setdefault("format", 1)
    document.setdefault("vehicles", {})
    document.setdefault("drivers", {})[vehicle.id] = {
        "pid": pid,
        "started": _process_start(pid),
        "host": socket.gethostname(),
        "owner": "scripts/demo",
        "seen": int(time.time() * 1000),
    }
    path.write_text(json.dumps(document))


@pytest.fixture
def other_process() -> Iterator[subprocess.Popen[bytes]]:
    """A live process (another simulator, as far as the state file can tell)."""
    process = subprocess.Popen(["sleep", "60"])  # noqa: S607
    yield process
    process.kill()
    process.wait()


async def test_cars_driven_by_another_process_are_refused(
    serve: Serve, tmp_path: Path, other_process: subprocess.Popen[bytes]
) -> None:
    """Another live simulator's cars are refused (named, with the way out); a dead one's not."""
    path = tmp_path / "vehicles.json"
    receiver = Receiver()
    url = await serve(receiver)
    other = other_process
    try:
        _claim_as(path, FLEET[1], other.pid)
        state = StateFile(path, "test")
        with pytest.raises(VehiclesBusyError) as refused:
            await simulator.run(url, TOKEN, vehicles=2, speed=FAST, state=state)
        message = str(refused.value)
        assert "right now: POLESTAR 2 by scripts/demo, pid " in message
        assert "--skip-vehicles 2" in message
        assert receiver.requests == []  # refused before anything was sent
        # Other cars are free; so is a VERIFY, which drives nothing.
        report = await simulator.run(
            url, TOKEN, vehicles=2, first_vehicle=2, speed=FAST, state=state
        )
        assert report.exit_code == 0
        report = await simulator.run(url, TOKEN, vehicles=2, verify_only=True, state=state)
        assert report.verification.ok
    finally:
        other.kill()
        await asyncio.to_thread(other.wait)
    # The other process is gone: its claim no longer counts.
    report = await simulator.run(url, TOKEN, vehicles=2, speed=FAST, state=state)
    assert report.exit_code == 0
    assert json.loads(path.read_text())["drivers"] == {}


async def test_claims_nest_within_a_process(serve: Serve, tmp_path: Path) -> None:
    """A process holding its cars (the demo) keeps them across its runs until it lets go."""
    path = tmp_path / "vehicles.json"
    holder = StateFile(path, "scripts/demo")
    holder.claim(FLEET[:1])
    report = await simulator.run(await serve(Receiver()), TOKEN, speed=FAST, state=holder)
    assert report.exit_code == 0
    assert set(json.loads(path.read_text())["drivers"]) == {FLEET[0].id}
    holder.release()
    assert json.loads(path.read_text())["drivers"] == {}


def test_an_unreadable_state_file_is_an_error(tmp_path: Path) -> None:
    """A file that is not the simulator's is neither used nor overwritten."""
    path = tmp_path / "vehicles.json"
    path.write_text("[1, 2]")
    with pytest.raises(StateError, match="not a simulator state file"):
        StateFile(path).claim(FLEET[:1])
    assert path.read_text() == "[1, 2]"


def test_the_default_state_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """$SMARTCAR_SIMULATOR_STATE, else under $XDG_STATE_HOME, else ~/.local/state."""
    monkeypatch.setenv("SMARTCAR_SIMULATOR_STATE", str(tmp_path / "mine.json"))
    assert default_state_file() == tmp_path / "mine.json"
    monkeypatch.delenv("SMARTCAR_SIMULATOR_STATE")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    assert default_state_file() == tmp_path / "smartcar-simulator" / "vehicles.json"
    monkeypatch.delenv("XDG_STATE_HOME")
    assert default_state_file() == (
        Path.home() / ".local" / "state" / "smartcar-simulator" / "vehicles.json"
    )


async def test_cli_continues_the_cars_from_its_state_file(
    serve: Serve, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """scripts/simulate keeps the cars in its state file; --no-state starts them over."""
    path = tmp_path / "vehicles.json"
    monkeypatch.setenv("SMARTCAR_SIMULATOR_STATE", str(path))
    receiver = Receiver()
    url = await serve(receiver)
    out = io.StringIO()
    assert await main_async([url, TOKEN, "--speed", str(FAST)], out) == 0
    assert f"The cars continue from where {path} says they were." in out.getvalue()
    first = json.loads(path.read_text())["vehicles"][FLEET[0].id]["signals"]
    assert first == simulator.expected_state("full")[FLEET[0].id].signals
    assert await main_async([url, TOKEN, "--speed", str(FAST)], io.StringIO()) == 0
    odometer = [_v(b, "odometer-traveleddistance") for b in wire_histories(receiver)[FLEET[0].id]]
    assert odometer == sorted(odometer)
    assert odometer[-1] == pytest.approx(FLEET[0].odometer_km + 2 * 14.2)
    # --no-state: from the initial values, and the file is left alone.
    before = path.read_text()
    fresh = Receiver()
    assert await main_async([await serve(fresh), TOKEN, "--speed", str(FAST), "--no-state"]) == 0
    assert fresh.final_values() == {
        v: e.signals for v, e in simulator.expected_state("full").items()
    }
    assert path.read_text() == before
    # --skip-vehicles: other cars.
    others = Receiver()
    args = [await serve(others), TOKEN, "--speed", str(FAST), "--skip-vehicles", "3"]
    assert await main_async(args, io.StringIO()) == 0
    assert set(others.final_values()) == {FLEET[3].id}


async def test_cli_refuses_cars_another_process_drives(
    serve: Serve,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Exit code 1 with the other driver named and --skip-vehicles suggested."""
    path = tmp_path / "vehicles.json"
    monkeypatch.setenv("SMARTCAR_SIMULATOR_STATE", str(path))
    _claim_as(path, FLEET[0], os.getppid())
    receiver = Receiver()
    code = await main_async([await serve(receiver), TOKEN, "--speed", str(FAST)], io.StringIO())
    assert code == 1
    err = capsys.readouterr().err
    assert "scripts/simulate: these cars are being driven by another simulator" in err
    assert "KIA EV6 by scripts/demo, pid " in err
    assert "--skip-vehicles 1" in err
    assert receiver.requests == []
