"""Unit tests for signatures.py: the SC-Signature check and the VERIFY challenge's answer.

Everything here runs without Home Assistant. The signature vectors (fixtures/signatures.json)
are computed over the exact bytes of PROTOCOL.md section 14's example files.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest

from custom_components.smartcar.json_body import ProtocolError, load_object
from custom_components.smartcar.signatures import (
    MAX_CHALLENGE_LENGTH,
    SIGNATURE_HEADER,
    parse_verify,
    signature_matches,
    smartcar_hmac,
    verify_answer,
)

FIXTURES = Path(__file__).parent / "fixtures"
VECTORS: dict[str, Any] = json.loads((FIXTURES / "signatures.json").read_bytes())
TOKEN: str = VECTORS["application_management_token"]
PAYLOAD_VECTORS: dict[str, dict[str, Any]] = VECTORS["payload_signatures"]
PAYLOAD_FILES = sorted(PAYLOAD_VECTORS)
ISO_DELIVERED = "2025-12-29T08:15:02.117Z"


def raw(name: str) -> bytes:
    """A fixture file's exact bytes, as they would arrive on the wire."""
    return (FIXTURES / name).read_bytes()


def compact(document: Any) -> bytes:
    """JavaScript's ``JSON.stringify`` output for a parsed document."""
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


def verify_of(document: Any) -> str | None:
    """The challenge of the VERIFY request a document's JSON bytes carry, if any."""
    return parse_verify(load_object(json.dumps(document).encode()))


def verify_document(challenge: Any) -> dict[str, Any]:
    """A current (v4.0) VERIFY request with the given challenge."""
    return {"eventId": "v", "eventType": "VERIFY", "data": {"challenge": challenge}}


def test_every_payload_fixture_has_a_signature_vector() -> None:
    on_disk = {path.name for path in FIXTURES.glob("*.json")} - {"signatures.json"}
    assert on_disk == set(PAYLOAD_VECTORS)


@pytest.mark.parametrize("name", PAYLOAD_FILES)
def test_signature_over_exact_file_bytes_matches_vector(name: str) -> None:
    body = raw(name)
    vector = PAYLOAD_VECTORS[name]
    assert len(body) == vector["file_bytes_length"]
    assert smartcar_hmac(TOKEN, body) == vector["sc_signature_for_file_bytes"]
    assert signature_matches(TOKEN, body, vector["sc_signature_for_file_bytes"])


@pytest.mark.parametrize("name", PAYLOAD_FILES)
def test_compact_json_vector_does_not_sign_the_file_bytes(name: str) -> None:
    body = raw(name)
    vector = PAYLOAD_VECTORS[name]
    assert not signature_matches(TOKEN, body, vector["sc_signature_for_compact_json"])
    # The compact vector is the signature of JSON.stringify's output, and only of that.
    recompacted = compact(json.loads(body))
    assert len(recompacted) == vector["compact_json_length"]
    assert signature_matches(TOKEN, recompacted, vector["sc_signature_for_compact_json"])


@pytest.mark.parametrize("name", PAYLOAD_FILES)
@pytest.mark.parametrize(
    "reserialise",
    [
        pytest.param(compact, id="compact"),
        pytest.param(orjson.dumps, id="orjson"),
        pytest.param(lambda doc: json.dumps(doc).encode(), id="json-dumps-defaults"),
        pytest.param(lambda doc: json.dumps(doc, indent=2).encode(), id="json-indent"),
    ],
)
def test_reserialised_json_breaks_the_wire_signature(name: str, reserialise: Any) -> None:
    body = raw(name)
    again = reserialise(json.loads(body))
    assert again != body
    assert not signature_matches(TOKEN, again, PAYLOAD_VECTORS[name]["sc_signature_for_file_bytes"])


def test_signature_from_another_token_is_refused() -> None:
    body = raw("vehicle_state_ice.json")
    assert not signature_matches(
        "another-token",
        body,
        PAYLOAD_VECTORS["vehicle_state_ice.json"]["sc_signature_for_file_bytes"],
    )


def test_one_changed_byte_breaks_the_signature() -> None:
    body = raw("vehicle_state_ev_signal_update.json")
    tampered = body.replace(b'"value": 63', b'"value": 64', 1)
    assert tampered != body
    signature = PAYLOAD_VECTORS["vehicle_state_ev_signal_update.json"][
        "sc_signature_for_file_bytes"
    ]
    assert not signature_matches(TOKEN, tampered, signature)


@pytest.mark.parametrize("name", ["verify.json", "verify_legacy_v2.json"])
def test_verify_answer_for_fixture_equals_vector(name: str) -> None:
    challenge = parse_verify(load_object(raw(name)))
    assert challenge == VECTORS["verify_challenge"]["challenge"]
    assert verify_answer(TOKEN, challenge) == VECTORS["verify_challenge"]["expected_response_body"]


def test_verify_answer_is_lowercase_hex_of_64_characters() -> None:
    answer = verify_answer(TOKEN, "abc")["challenge"]
    assert len(answer) == 64
    assert answer == answer.lower()
    int(answer, 16)


@pytest.mark.parametrize(
    "name",
    [name for name in PAYLOAD_FILES if not name.startswith("verify")],
)
def test_delivery_fixtures_are_not_verify_requests(name: str) -> None:
    assert parse_verify(load_object(raw(name))) is None


def test_signature_header_name() -> None:
    assert SIGNATURE_HEADER == "SC-Signature"


@pytest.mark.parametrize(
    "decorate",
    [
        pytest.param(lambda sig: sig, id="as-is"),
        pytest.param(lambda sig: f"  {sig}  ", id="spaces"),
        pytest.param(lambda sig: f"\t{sig}\r\n", id="tabs-and-newline"),
        pytest.param(str.upper, id="upper-case-hex"),
        pytest.param(lambda sig: f" {sig.upper()}\n", id="upper-case-with-spaces"),
    ],
)
def test_signature_header_is_trimmed_and_case_insensitive(decorate: Any) -> None:
    body = b'{"eventType":"VEHICLE_STATE"}'
    assert signature_matches(TOKEN, body, decorate(smartcar_hmac(TOKEN, body)))


@pytest.mark.parametrize(
    "header",
    [
        pytest.param(None, id="missing"),
        pytest.param("", id="empty"),
        pytest.param("   ", id="blank"),
        pytest.param("0" * 64, id="zeros"),
        pytest.param("not-hex", id="not-hex"),
        pytest.param("é" * 64, id="non-ascii"),
        pytest.param("sha256=", id="prefix-only"),
    ],
)
def test_bad_or_missing_signature_header_fails(header: str | None) -> None:
    assert not signature_matches(TOKEN, b"{}", header)


def test_non_ascii_header_as_decoded_by_aiohttp_fails_without_raising() -> None:
    # aiohttp decodes header bytes as UTF-8 with surrogateescape.
    header = b"\xff\xfe".decode("utf-8", "surrogateescape") + "a" * 62
    assert not signature_matches(TOKEN, b"{}", header)


def test_signature_with_algorithm_prefix_is_not_accepted() -> None:
    body = b"{}"
    assert not signature_matches(TOKEN, body, f"sha256={smartcar_hmac(TOKEN, body)}")


def test_truncated_signature_fails() -> None:
    body = b"{}"
    assert not signature_matches(TOKEN, body, smartcar_hmac(TOKEN, body)[:-1])


def test_hmac_is_keyed_with_the_token_not_the_message() -> None:
    # The third-party Rust crate swaps key and message; the official SDKs do not.
    assert smartcar_hmac("key", b"message") != smartcar_hmac("message", b"key")
    assert (
        smartcar_hmac("key", b"The quick brown fox jumps over the lazy dog")
        == "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
    )


def test_current_verify_with_iso_delivered_at() -> None:
    document = verify_document("abc123")
    document["meta"] = {"deliveredAt": ISO_DELIVERED}
    assert verify_of(document) == "abc123"


@pytest.mark.parametrize("event_name", ["verify", "VERIFY", "Verify"])
def test_legacy_v2_verify(event_name: str) -> None:
    document = {"version": "2.0", "eventName": event_name, "payload": {"challenge": "abc"}}
    assert verify_of(document) == "abc"


def test_legacy_verify_reads_only_the_payload_challenge() -> None:
    document = {"eventName": "verify", "data": {"challenge": "abc"}}
    with pytest.raises(ProtocolError, match="without a challenge"):
        verify_of(document)


@pytest.mark.parametrize(
    "document",
    [
        pytest.param({}, id="empty"),
        pytest.param({"eventType": "VEHICLE_STATE"}, id="state"),
        pytest.param({"eventType": "verify", "data": {"challenge": "x"}}, id="lowercase-type"),
        pytest.param({"eventName": "vehicle_state"}, id="legacy-other"),
        pytest.param({"eventName": None}, id="legacy-null"),
    ],
)
def test_non_verify_documents_are_not_verify(document: dict[str, Any]) -> None:
    assert verify_of(document) is None


def test_challenge_of_exactly_the_limit_is_answered() -> None:
    challenge = "a" * MAX_CHALLENGE_LENGTH
    assert MAX_CHALLENGE_LENGTH == 256
    assert verify_of(verify_document(challenge)) == challenge


@pytest.mark.parametrize(
    "challenge",
    [
        "k3Jq9ZtR2wLm8xVb",
        "with spaces and symbols !@#$%^&*()",
        "ünïcödé",
        "contains eventType without quotes",
        "ends with {",
        " leading space is fine",
    ],
)
def test_plausible_challenges_are_answered(challenge: str) -> None:
    assert verify_of(verify_document(challenge)) == challenge
    assert verify_answer(TOKEN, challenge) == {
        "challenge": smartcar_hmac(TOKEN, challenge.encode("utf-8"))
    }


@pytest.mark.parametrize(
    ("challenge", "reason"),
    [
        pytest.param("a" * (MAX_CHALLENGE_LENGTH + 1), "challenge too long", id="too-long"),
        pytest.param('{"eventType":"VEHICLE_STATE"}', "looks like a JSON", id="object"),
        pytest.param("[1, 2]", "looks like a JSON", id="array"),
        pytest.param('   {"a": 1}', "looks like a JSON", id="object-after-spaces"),
        pytest.param('\n\t [{"a": 1}]', "looks like a JSON", id="array-after-whitespace"),
        pytest.param('x "eventType": "VEHICLE_STATE"', "looks like a JSON", id="eventType"),
        pytest.param(None, "without a challenge", id="null"),
        pytest.param("", "without a challenge", id="empty"),
        pytest.param(12345, "without a challenge", id="number"),
        pytest.param(["a"], "without a challenge", id="list"),
        pytest.param({"a": 1}, "without a challenge", id="object-value"),
    ],
)
def test_dangerous_or_missing_challenges_are_refused(challenge: Any, reason: str) -> None:
    with pytest.raises(ProtocolError, match=reason):
        verify_of(verify_document(challenge))


@pytest.mark.parametrize(
    "document",
    [
        pytest.param({"eventType": "VERIFY"}, id="no-data"),
        pytest.param({"eventType": "VERIFY", "data": "challenge"}, id="data-not-object"),
        pytest.param({"eventType": "VERIFY", "data": {}}, id="data-empty"),
        pytest.param({"eventName": "verify"}, id="legacy-no-payload"),
        pytest.param({"eventName": "verify", "payload": {"challenge": 7}}, id="legacy-number"),
    ],
)
def test_verify_without_a_usable_challenge_is_refused(document: dict[str, Any]) -> None:
    with pytest.raises(ProtocolError, match="without a challenge"):
        verify_of(document)


def test_refused_forgery_would_have_been_a_valid_signature() -> None:
    """The oracle guard matters: the answer to a JSON challenge signs that JSON."""
    forged = b'{"eventType":"VEHICLE_STATE","data":{"vehicle":{"id":"x"}}}'
    leaked = smartcar_hmac(TOKEN, forged)
    assert signature_matches(TOKEN, forged, leaked)
    with pytest.raises(ProtocolError):
        verify_of(verify_document(forged.decode()))
