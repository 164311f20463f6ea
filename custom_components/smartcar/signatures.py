"""Who may speak for Smartcar: the SC-Signature check and the VERIFY challenge's answer.

Both are an HMAC-SHA256 keyed with the Application Management Token (PROTOCOL.md §2), so
the answer to a VERIFY must never sign something that could pass for a delivery: the
challenge guard below is what keeps this receiver from being a signing oracle. Plain
Python with no Home Assistant imports.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Final

from .json_body import JSONObject, ProtocolError, as_object

SIGNATURE_HEADER: Final = "SC-Signature"
MAX_CHALLENGE_LENGTH: Final = 256


def smartcar_hmac(token: str, message: bytes) -> str:
    """HMAC-SHA256 of ``message`` keyed with the Application Management Token, as hex."""
    return hmac.new(token.encode(), message, hashlib.sha256).hexdigest()


def signature_matches(token: str, body: bytes, header: str | None) -> bool:
    """Check ``SC-Signature`` against the raw body bytes, in constant time.

    The body is hashed exactly as received: re-serialised JSON never matches the wire bytes.
    A header with non-ASCII characters cannot be a hex digest and fails (``compare_digest``
    would raise on it instead).
    """
    if not header:
        return False
    candidate = header.strip().lower()
    if not candidate.isascii():
        return False
    expected = smartcar_hmac(token, body)
    return hmac.compare_digest(expected, candidate)


def parse_verify(document: JSONObject) -> str | None:
    """The challenge of a VERIFY request (current or legacy shape); ``None`` for any other.

    Raises ProtocolError for a VERIFY whose challenge is missing, too long, or could be a
    JSON document: the answer is an HMAC with the same key as delivery signatures, so
    signing an attacker's JSON would forge a valid ``SC-Signature`` (PROTOCOL.md §2).
    """
    event_name = document.get("eventName")
    if document.get("eventType") == "VERIFY":
        challenge = as_object(document.get("data")).get("challenge")
    elif isinstance(event_name, str) and event_name.lower() == "verify":
        challenge = as_object(document.get("payload")).get("challenge")
    else:
        return None
    if not isinstance(challenge, str) or not challenge:
        raise ProtocolError("VERIFY without a challenge")
    if len(challenge) > MAX_CHALLENGE_LENGTH:
        raise ProtocolError("challenge too long")
    if challenge.lstrip()[:1] in ("{", "[") or '"eventType"' in challenge:
        raise ProtocolError("challenge looks like a JSON document")
    return challenge


def verify_answer(token: str, challenge: str) -> JSONObject:
    """The JSON body that proves to Smartcar that this receiver holds the token."""
    return {"challenge": smartcar_hmac(token, challenge.encode())}
