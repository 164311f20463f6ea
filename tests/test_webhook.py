"""The webhook endpoint, driven with real bytes through /api/webhook/<id>."""

from __future__ import annotations

import json
import logging

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from homeassistant.components.webhook import async_handle_webhook
from homeassistant.core import HomeAssistant
from homeassistant.util.aiohttp import MockRequest

from custom_components.smartcar.const import LOGGER, MAX_BODY_BYTES

from .conftest import (
    TOKEN,
    WEBHOOK_ID,
    WEBHOOK_PATH,
    Post,
    fixture_bytes,
    fixture_json,
    make_state,
    sign,
)

BATTERY = "sensor.kia_ev6_battery"
VERIFY_ANSWER = fixture_json("signatures.json")["verify_challenge"]["expected_response_body"]


@pytest.fixture(autouse=True)
def no_warnings_from_the_integration(caplog: pytest.LogCaptureFixture) -> None:
    """Bad requests are answered, never raised or logged as problems."""
    caplog.set_level(logging.DEBUG)
    yield
    problems = [
        record
        for record in caplog.records
        if record.name.startswith(LOGGER.name) and record.levelno >= logging.WARNING
    ]
    assert not problems


def _states(hass: HomeAssistant) -> dict[str, str]:
    return {state.entity_id: state.state for state in hass.states.async_all()}


@pytest.mark.parametrize("name", ["verify.json", "verify_legacy_v2.json"])
async def test_verify_answers_challenge(post: Post, name: str) -> None:
    """Both VERIFY shapes get 200 and the HMAC of the challenge, as JSON."""
    response = await post(fixture_bytes(name), signature=False)
    assert response.status == 200
    assert response.content_type == "application/json"
    assert await response.json() == VERIFY_ANSWER


async def test_verify_with_matching_signature(post: Post) -> None:
    """A VERIFY that carries a valid SC-Signature is answered."""
    response = await post(fixture_bytes("verify.json"))
    assert response.status == 200
    assert await response.json() == VERIFY_ANSWER


async def test_verify_with_wrong_signature_is_refused(post: Post) -> None:
    """A VERIFY whose SC-Signature does not match gets 401 and no HMAC."""
    response = await post(fixture_bytes("verify.json"), signature="0" * 64)
    assert response.status == 401
    assert "challenge" not in await response.text()


@pytest.mark.parametrize(
    "challenge",
    [
        "x" * 257,
        '{"eventType":"VEHICLE_STATE","data":{}}',
        '  [{"eventId": "1"}]',
        "",
        None,
        42,
    ],
)
async def test_verify_signing_oracle_closed(post: Post, challenge: object) -> None:
    """Challenges that could be forged event bodies (or are no challenge) get 400."""
    body = {"eventType": "VERIFY", "data": {"challenge": challenge}}
    response = await post(body, signature=False)
    assert response.status == 400
    text = await response.text()
    assert "challenge" not in json.loads(text)


async def test_verify_longest_allowed_challenge(post: Post) -> None:
    """A 256-character challenge is still answered."""
    response = await post(
        {"eventType": "VERIFY", "data": {"challenge": "a" * 256}}, signature=False
    )
    assert response.status == 200


async def test_accepted_event_changes_state(hass: HomeAssistant, post: Post) -> None:
    """A signed delivery is answered 200 and shows up as entity state."""
    response = await post(fixture_bytes("vehicle_state_ev_signal_update.json"))
    assert response.status == 200
    assert await response.json() == {"result": "applied"}
    assert hass.states.get(BATTERY).state == "63"


@pytest.mark.parametrize(
    ("signature", "headers"),
    [
        (False, None),
        ("", None),
        ("0" * 64, None),
        (sign(fixture_bytes("vehicle_state_ev_signal_update.json"), "another-token-123456"), None),
        # Signed over a compact re-serialisation, not the bytes on the wire.
        (
            fixture_json("signatures.json")["payload_signatures"][
                "vehicle_state_ev_signal_update.json"
            ]["sc_signature_for_compact_json"],
            None,
        ),
    ],
)
async def test_bad_signature_is_401_and_changes_nothing(
    hass: HomeAssistant, post: Post, signature: str | bool, headers: dict[str, str] | None
) -> None:
    """Missing or wrong signatures get 401; no entity or device appears."""
    before = _states(hass)
    response = await post(
        fixture_bytes("vehicle_state_ev_signal_update.json"), signature=signature, headers=headers
    )
    assert response.status == 401
    assert await response.json() == {"error": "signature mismatch"}
    assert _states(hass) == before


async def test_rejected_signature_logs_nothing_of_the_expected_one(
    post: Post, caplog: pytest.LogCaptureFixture
) -> None:
    """The debug log tells the body size and what was received, nothing of the expected HMAC.

    That one is derived from the token, and debug logs get posted in issues.
    """
    body = fixture_bytes("vehicle_state_ev_signal_update.json")
    received = "0123456789abcdef" * 4
    assert (await post(body, signature=received)).status == 401
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert f"{len(body)}-byte delivery: signature {received[:8]}" in logged
    assert received[8:16] not in logged
    assert sign(body)[:8] not in logged


async def test_signature_header_is_case_insensitive(hass: HomeAssistant, post: Post) -> None:
    """``sc-signature`` works like ``SC-Signature``; hex case and spaces do not matter."""
    body = fixture_bytes("vehicle_state_ev_signal_update.json")
    response = await post(
        body, signature=False, headers={"sc-signature": f" {sign(body).upper()} "}
    )
    assert response.status == 200


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2]",
        b'"text"',
        b"",
        b"\xff\xfe",
        b'{"eventType": "VEHICLE_STATE"',
        pytest.param(
            b'{"eventType": "VEHICLE_STATE", "a": ' + b"[" * 32_000 + b"]" * 32_000 + b"}",
            id="nested-too-deeply",
        ),
    ],
)
async def test_malformed_body_is_400(hass: HomeAssistant, post: Post, body: bytes) -> None:
    """Bodies that are not one JSON object get 400, even when signed."""
    before = _states(hass)
    response = await post(body)
    assert response.status == 400
    assert _states(hass) == before


@pytest.mark.parametrize("signed", [False, True])
async def test_json_with_bytes_that_are_not_utf8_is_400(
    hass: HomeAssistant, post: Post, caplog: pytest.LogCaptureFixture, signed: bool
) -> None:
    """A string that is not UTF-8 (here in a VERIFY challenge) gets 400; nothing is logged.

    The decoder reports it as a UnicodeDecodeError, which escaped as a traceback and an
    empty 200 before.
    """
    before = _states(hass)
    body = b'{"eventType": "VERIFY", "data": {"challenge": "\xff\xfe"}}'
    response = await post(body, signature=signed)
    assert response.status == 400
    assert await response.json() == {"error": "body is not JSON"}
    assert _states(hass) == before
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_body_not_matching_its_content_encoding_is_400(
    hass: HomeAssistant, post: Post, caplog: pytest.LogCaptureFixture
) -> None:
    """A body that is not what its Content-Encoding says cannot be read: 400, no change.

    Nothing is logged at ERROR: aiohttp logged the broken stream with a traceback for each
    such request before, read after the answer (found by tests/test_fuzz.py).
    """
    before = _states(hass)
    body = fixture_bytes("vehicle_state_ev_signal_update.json")
    response = await post(body, headers={"Content-Encoding": "gzip"})
    assert response.status == 400
    assert await response.json() == {"error": "body cannot be decoded"}
    assert _states(hass) == before
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    # The next request, on a new connection, is answered as usual.
    assert (await post(body)).status == 200


async def test_signed_event_without_vehicle_is_400(hass: HomeAssistant, post: Post) -> None:
    """A signed VEHICLE_STATE that names no vehicle cannot be applied."""
    document = make_state({"tractionbattery-stateofcharge": {"value": 50, "unit": "percent"}})
    del document["data"]["vehicle"]
    response = await post(document)
    assert response.status == 400
    assert hass.states.get(BATTERY) is None


async def test_body_over_limit_is_413_before_parsing(hass: HomeAssistant, post: Post) -> None:
    """A body over 64 KiB is refused, with or without a Content-Length header."""
    document = make_state({"tractionbattery-stateofcharge": {"value": 50, "unit": "percent"}})
    document["padding"] = "x" * MAX_BODY_BYTES
    body = json.dumps(document).encode()
    response = await post(body)
    assert response.status == 413
    assert hass.states.get(BATTERY) is None


async def test_body_over_limit_without_content_length(
    hass: HomeAssistant, integration: MockConfigEntry, hass_client_no_auth: object
) -> None:
    """A chunked body is cut off as soon as it passes the limit."""
    client = await hass_client_no_auth()  # type: ignore[operator]

    async def chunks():  # noqa: ANN202
        for _ in range(MAX_BODY_BYTES // 1024 + 2):
            yield b"x" * 1024

    response = await client.post(WEBHOOK_PATH, data=chunks())
    assert response.status == 413


async def test_body_at_limit_is_read(post: Post) -> None:
    """Exactly 64 KiB is allowed (Smartcar's own limit is 50 KB)."""
    document = make_state({"tractionbattery-stateofcharge": {"value": 50, "unit": "percent"}})
    body = json.dumps(document).encode()
    body = body[:-1] + b" " * (MAX_BODY_BYTES - len(body)) + b"}"
    assert len(body) == MAX_BODY_BYTES
    response = await post(body)
    assert response.status == 200


async def test_unknown_event_type_is_acknowledged_and_ignored(
    hass: HomeAssistant, post: Post
) -> None:
    """A signed event of a type this integration does not know gets 200 and changes nothing."""
    before = _states(hass)
    response = await post({"eventId": "x", "eventType": "VEHICLE_TELEPORTED", "data": {}})
    assert response.status == 200
    assert await response.json() == {"result": "ignored"}
    assert _states(hass) == before


async def test_test_mode_delivery_changes_nothing(hass: HomeAssistant, post: Post) -> None:
    """Dashboard TEST deliveries are acknowledged and not applied."""
    document = make_state(
        {"tractionbattery-stateofcharge": {"value": 50, "unit": "percent"}}, mode="TEST"
    )
    response = await post(document)
    assert response.status == 200
    assert await response.json() == {"result": "ignored"}
    assert hass.states.get(BATTERY) is None


async def test_duplicate_event_is_not_applied_again(hass: HomeAssistant, post: Post) -> None:
    """A retry with the same eventId is acknowledged and not applied a second time."""
    first = make_state({"tractionbattery-stateofcharge": {"value": 50, "unit": "percent"}})
    assert (await post(first)).status == 200
    retry = make_state(
        {"tractionbattery-stateofcharge": {"value": 99, "unit": "percent"}},
        oem_updated_at=1_766_999_999_000,
    )
    response = await post(retry)
    assert response.status == 200
    assert await response.json() == {"result": "duplicate"}
    assert hass.states.get(BATTERY).state == "50"


async def test_older_value_never_replaces_newer(hass: HomeAssistant, post: Post) -> None:
    """Out-of-order deliveries: an older oemUpdatedAt does not overwrite a newer value."""
    newer = make_state(
        {"tractionbattery-stateofcharge": {"value": 70, "unit": "percent"}},
        event_id="new",
        oem_updated_at=1_766_999_000_000,
    )
    older = make_state(
        {"tractionbattery-stateofcharge": {"value": 60, "unit": "percent"}},
        event_id="old",
        oem_updated_at=1_766_990_000_000,
    )
    assert (await post(newer)).status == 200
    assert (await post(older)).status == 200
    assert hass.states.get(BATTERY).state == "70"


@pytest.mark.parametrize("method", ["GET", "HEAD"])
async def test_probe_methods_get_empty_200(
    hass: HomeAssistant,
    integration: MockConfigEntry,
    hass_client_no_auth: object,
    method: str,
) -> None:
    """Verification probes by GET or HEAD get a harmless empty 200."""
    client = await hass_client_no_auth()  # type: ignore[operator]
    response = await client.request(method, WEBHOOK_PATH)
    assert response.status == 200
    assert await response.read() == b""


async def test_answers_never_leak_token_or_data(post: Post) -> None:
    """No answer carries the token, a traceback or vehicle data."""
    bodies = [
        (fixture_bytes("vehicle_state_ev_signal_update.json"), True),
        (fixture_bytes("vehicle_state_ev_signal_update.json"), "0" * 64),
        (b"{", True),
        (fixture_bytes("verify.json"), False),
    ]
    for body, signature in bodies:
        text = await (await post(body, signature=signature)).text()
        assert TOKEN not in text
        assert "Traceback" not in text
        assert "9d2c4e6a" not in text


async def test_cloudhook_requests_are_answered(
    hass: HomeAssistant, integration: MockConfigEntry
) -> None:
    """Cloudhook deliveries arrive as MockRequest (no ``read()``) and work the same."""
    body = fixture_bytes("vehicle_state_ev_signal_update.json")
    request = MockRequest(
        content=body,
        mock_source="cloud",
        method="POST",
        headers={"SC-Signature": sign(body), "Content-Type": "application/json"},
    )
    response = await async_handle_webhook(hass, WEBHOOK_ID, request)
    assert response.status == 200
    await hass.async_block_till_done()
    assert hass.states.get(BATTERY).state == "63"


async def test_deliveries_are_recorded(post: Post, integration: MockConfigEntry) -> None:
    """Each request is kept (type, status, result) for diagnostics, without its content."""
    await post(fixture_bytes("verify.json"), signature=False)
    await post(fixture_bytes("vehicle_state_ev_signal_update.json"))
    await post(fixture_bytes("vehicle_state_ev_signal_update.json"), signature="bad")
    deliveries = list(integration.runtime_data.deliveries)
    assert [(d.event_type, d.status, d.result) for d in deliveries] == [
        ("VERIFY", 200, "verified"),
        ("VEHICLE_STATE", 200, "applied"),
        ("VEHICLE_STATE", 401, "signature mismatch"),
    ]
    assert deliveries[1].signals == 26
    assert deliveries[1].triggers == ("tractionbattery-stateofcharge", "charge-energyadded")


async def test_unload_closes_the_webhook(
    hass: HomeAssistant, post: Post, integration: MockConfigEntry
) -> None:
    """After unload, deliveries no longer reach the integration."""
    assert await hass.config_entries.async_unload(integration.entry_id)
    response = await post(fixture_bytes("vehicle_state_ev_signal_update.json"))
    assert response.status == 200  # Home Assistant's answer for an unknown webhook
    assert hass.states.get(BATTERY) is None
