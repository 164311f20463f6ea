"""Generated requests through the real webhook: hostile or faulty, none breaks anything.

Hypothesis generates the requests (SMARTCAR_FUZZ_EXAMPLES of them, 5,000 by default; set
it higher for a longer run): valid deliveries, vehicle errors and VERIFYs with any field
replaced by any JSON value or removed, random JSON, random bytes; signed, unsigned or
wrongly signed; with odd Content-Type and Content-Encoding headers. Generation is
derandomised, so every run sends the same requests. They are generated first and then
sent one by one to /api/webhook/<id> of a set-up entry (Hypothesis cannot drive an async
Home Assistant test itself, so it does not shrink a failure: the failing request is shown
instead; keep it as a plain regression test in REGRESSIONS).

After each request: its status is a documented one (200, 400, 401, 413) and, unless it
was a verified event the integration applied, no state changed. At the end: nothing was
logged at ERROR or above by the integration or Home Assistant, every entity shows a value
it can have (numbers in their plausible range, positions on Earth, states of at most 255
characters), /api/states answers, and the values are still saved.
"""

from __future__ import annotations

from collections.abc import Collection
import copy
from datetime import timedelta
import gzip
import json
import logging
import math
import os
from typing import Any
import zlib

from freezegun.api import FrozenDateTimeFactory, real_monotonic
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
import orjson
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component

from custom_components.smartcar.catalog import SIGNALS
from custom_components.smartcar.const import DOMAIN, SAVE_DELAY_SECONDS
from custom_components.smartcar.roles import Number
from custom_components.smartcar.signals import PLAUSIBLE_RANGES, UNIT_FAMILIES, convert
from custom_components.smartcar.store import fleet_as_dict

from .conftest import Post, fixture_json, make_state, sign
from .payloads import ALL_SIGNALS

EXAMPLES = int(os.environ.get("SMARTCAR_FUZZ_EXAMPLES", "5000"))
DOCUMENTED = {200, 400, 401, 413}
T0 = 1_766_990_000_000

# A delivery with a signal of every kind of role, the fixtures, and every catalog signal.
MIXED = {
    code: ALL_SIGNALS[code]
    for code in (
        "tractionbattery-stateofcharge",
        "odometer-traveleddistance",
        "location-preciselocation",
        "wheel-tires",
        "charge-timetocomplete",
        "climate-internaltemperature",
        "connectivitysoftware-currentfirmwareversion",
        "charge-ischarging",
        "closure-doors",
        "transmission-gearstate",
        "vehicleidentification-nickname",
        "surveillance-brand",
    )
}
BASES: tuple[dict[str, Any], ...] = (
    make_state(MIXED),
    make_state(MIXED),
    fixture_json("vehicle_state_ev_signal_update.json"),
    fixture_json("vehicle_error.json"),
    fixture_json("vehicle_error_resolved.json"),
    fixture_json("verify.json"),
    make_state(ALL_SIGNALS, vehicle_id="1f2e3d4c-5b6a-4798-8a9b-0c1d2e3f4a5b"),
)

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.sampled_from([0, -1, 2**63, 2**64, -(2**64), 10**30, 10**300])
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from([1e308, -1e308, 5e-324, 1e16])
    | st.text(max_size=20)
    | st.sampled_from(["x" * 256, "é" * 300, "", "ERROR", "PERMISSION", "1e400"]),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
SIGNATURES = st.sampled_from(
    ["valid"] * 6 + ["missing", "empty", "zeros", "other-token", "text", "upper-case-valid"]
)
CONTENT_TYPES = st.sampled_from(
    ["application/json"] * 4 + ["text/plain", "", "application/x-www-form-urlencoded"]
)
ENCODINGS = st.sampled_from([None] * 8 + ["gzip", "deflate", "identity", "gzip-but-plain", "x"])


@st.composite
def mutated(draw: st.DrawFn, number: int) -> dict[str, Any]:
    """A base document with one to three fields, at any depth, replaced or removed."""
    document = copy.deepcopy(draw(st.sampled_from(BASES)))
    # Fresh event ids and newer times, so that most mutations are applied, not duplicates.
    document["eventId"] = f"fuzz-{number}"
    for signal in document.get("data", {}).get("signals", []):
        if "meta" in signal:
            signal["meta"] = {"oemUpdatedAt": T0 + number * 1000, "retrievedAt": T0 + number}
    for _ in range(draw(st.integers(1, 3))):
        parent: Any = document
        while True:
            keys = list(parent) if isinstance(parent, dict) else list(range(len(parent)))
            if not keys:
                break
            key = draw(st.sampled_from(keys))
            child = parent[key]
            if isinstance(child, dict | list) and child and draw(st.booleans()):
                parent = child
                continue
            if isinstance(parent, dict) and draw(st.integers(0, 5)) == 0:
                del parent[key]
            else:
                parent[key] = draw(JSON_VALUES)
            break
    return document


@st.composite
def requests(draw: st.DrawFn, number: int) -> tuple[bytes, str, dict[str, str]]:
    """One request: body, how it is signed, headers."""
    kind = draw(st.sampled_from(["mutated"] * 6 + ["json", "bytes", "verify"]))
    if kind == "mutated":
        body = json.dumps(draw(mutated(number))).encode()
    elif kind == "json":
        body = json.dumps(draw(JSON_VALUES)).encode()
    elif kind == "verify":
        challenge = draw(JSON_VALUES)
        body = json.dumps({"eventType": "VERIFY", "data": {"challenge": challenge}}).encode()
    else:
        body = draw(st.binary(max_size=200))
    headers = {"Content-Type": draw(CONTENT_TYPES)}
    encoding = draw(ENCODINGS)
    if encoding == "gzip":
        body, headers["Content-Encoding"] = gzip.compress(body), "gzip"
    elif encoding == "deflate":
        body, headers["Content-Encoding"] = zlib.compress(body), "deflate"
    elif encoding == "gzip-but-plain":
        headers["Content-Encoding"] = "gzip"
    elif encoding is not None:
        headers["Content-Encoding"] = encoding
    return body, draw(SIGNATURES), headers


def generate(count: int) -> list[tuple[bytes, str, dict[str, str]]]:
    """``count`` requests, the same in every run."""
    generated: list[tuple[bytes, str, dict[str, str]]] = []

    @settings(
        max_examples=count,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.data())
    def collect(data: st.DataObject) -> None:
        generated.append(data.draw(requests(len(generated))))

    collect()
    return generated


def signature_of(kind: str, body: bytes) -> str | bool:
    """The SC-Signature header for a kind of signing (False: none)."""
    match kind:
        case "valid":
            return sign(body)
        case "upper-case-valid":
            return f" {sign(body).upper()} "
        case "missing":
            return False
        case "empty":
            return ""
        case "zeros":
            return "0" * 64
        case "other-token":
            return sign(body, "another-token-123456")
    return "not a hex digest"


def _states(hass: HomeAssistant) -> dict[str, Any]:
    return {state.entity_id: (state.state, state.attributes) for state in hass.states.async_all()}


# Each number sensor's catalog unit and plausible range, by its key.
NUMBERS = {
    role.key: (spec.unit, role.plausible or PLAUSIBLE_RANGES[spec.unit])
    for spec in SIGNALS
    for role in spec.sensors
    if isinstance(role, Number) and spec.unit is not None
}


def impossible_values(hass: HomeAssistant, entity_ids: Collection[str] | None = None) -> list[str]:
    """The entity states of the integration no car could have, or no state may be.

    Of every entity, or of ``entity_ids`` only.
    """
    registry = er.async_get(hass)
    found = []
    for entity_id in registry.entities if entity_ids is None else entity_ids:
        entry = registry.async_get(entity_id)
        if entry is not None and entry.platform == DOMAIN:
            state = hass.states.get(entity_id)
            found += [f"{entity_id}: {problem}" for problem in _impossible(entry, state)]
    return found


def _impossible(entry: er.RegistryEntry, state: State | None) -> list[str]:
    if state is None:
        return []
    problems = []
    if len(state.state) > 255:
        problems.append(f"a state of {len(state.state)} characters")
    key = entry.unique_id.split("_", 1)[1]
    unit = state.attributes.get("unit_of_measurement")
    if key in NUMBERS and state.state not in ("unknown", "unavailable"):
        catalog_unit, (low, high) = NUMBERS[key]
        shown = float(state.state)
        if unit in UNIT_FAMILIES and UNIT_FAMILIES[unit] is UNIT_FAMILIES[catalog_unit]:
            shown = convert(shown, unit, catalog_unit)
        if not (math.isfinite(shown) and low - 0.01 <= shown <= high + 0.01):
            problems.append(f"{state.state} {unit or ''}")
    for name, limit in (("latitude", 90), ("longitude", 180)):
        degrees = state.attributes.get(name) if entry.domain == "device_tracker" else None
        if degrees is not None and not -limit <= degrees <= limit:
            problems.append(f"{name} {degrees}")
    return problems


async def test_generated_requests_break_nothing(
    hass: HomeAssistant,
    post: Post,
    integration: MockConfigEntry,
    hass_client: Any,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    started = real_monotonic()
    generated = generate(EXAMPLES)
    generated_in = real_monotonic() - started
    answers: dict[str, int] = {}
    caplog.set_level(logging.WARNING)
    for body, signing, headers in generated:
        before = _states(hass)
        response = await post(body, signature=signature_of(signing, body), headers=headers)
        request = f"body={body!r} signature={signing} headers={headers}"
        assert response.status in DOCUMENTED, request
        result = (await response.json()).get("result") if response.status == 200 else None
        answer = f"{response.status} {result or ''}".strip()
        answers[answer] = answers.get(answer, 0) + 1
        after = _states(hass)
        if result != "applied":
            assert after == before, request
        changed = [
            entity_id for entity_id, shown in after.items() if before.get(entity_id) != shown
        ]
        assert impossible_values(hass, changed) == [], request
    assert sum(answers.values()) == len(generated) >= EXAMPLES
    assert {"200 applied", "400", "401"} <= set(answers)
    assert impossible_values(hass) == []

    problems = [
        record.getMessage()
        for record in caplog.records
        if record.levelno >= logging.ERROR
        and record.name.split(".")[0] in ("homeassistant", "custom_components", "aiohttp")
    ]
    assert problems == []
    assert await async_setup_component(hass, "api", {})
    client = await hass_client()
    assert (await client.get("/api/states")).status == 200
    freezer.tick(timedelta(seconds=SAVE_DELAY_SECONDS + 1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    stored = hass_storage[f"{DOMAIN}.{integration.entry_id}"]["data"]
    assert stored == orjson.loads(orjson.dumps(fleet_as_dict(integration.runtime_data.fleet)))
    vehicles = len(integration.runtime_data.fleet.vehicles)
    print(
        f"\nfuzz: {len(generated)} requests generated in {generated_in:.1f} s, sent in "
        f"{real_monotonic() - started - generated_in:.1f} s; answers "
        f"{dict(sorted(answers.items()))}; {len(hass.states.async_all())} states checked "
        f"after each; {vehicles} vehicles"
    )


def _delivery(signals: dict[str, Any]) -> bytes:
    return json.dumps(make_state(signals, event_id="regression")).encode()


# Requests generated requests found breaking something (here and in the first
# runs), each kept as found: what was wrong, the request, its signing, headers, the answer.
REGRESSIONS = [
    pytest.param(
        json.dumps(fixture_json("verify.json")).encode(),
        "valid",
        {"Content-Encoding": "gzip"},
        400,
        id="plain-body-said-gzip: aiohttp logged a traceback after the answer",
    ),
    pytest.param(
        b'{"eventType": "VERIFY", "data": {"challenge": "\xff\xfe"}}',
        "missing",
        {},
        400,
        id="string-not-utf8: a traceback and an empty 200",
    ),
    pytest.param(
        b'{"eventType": "VEHICLE_STATE", "a": ' + b"[" * 32_000 + b"]" * 32_000 + b"}",
        "valid",
        {},
        400,
        id="nested-too-deeply: a traceback and an empty 200",
    ),
    pytest.param(
        _delivery({"tractionbattery-stateofcharge": {"value": 2**64}}),
        "valid",
        {},
        200,
        id="integer-beyond-64-bits: every later save failed",
    ),
    pytest.param(
        _delivery({"connectivitysoftware-currentfirmwareversion": {"value": "v" * 256}}),
        "valid",
        {},
        200,
        id="text-over-255: the entity failed to be added",
    ),
    pytest.param(
        _delivery({"charge-timetocomplete": {"value": 1e308, "unit": "hours"}}),
        "valid",
        {},
        200,
        id="1e308-hours: the charge-complete sensor failed",
    ),
]


@pytest.mark.parametrize(("body", "signing", "headers", "status"), REGRESSIONS)
async def test_requests_generated_ones_found(
    hass: HomeAssistant,
    post: Post,
    hass_storage: dict[str, Any],
    integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    body: bytes,
    signing: str,
    headers: dict[str, str],
    status: int,
) -> None:
    response = await post(body, signature=signature_of(signing, body), headers=headers)
    assert response.status == status
    assert impossible_values(hass) == []
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    freezer.tick(timedelta(seconds=SAVE_DELAY_SECONDS + 1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
