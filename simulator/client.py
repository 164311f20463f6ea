"""HTTP: one POST as Smartcar sends it, and the VERIFY check with its diagnosis."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
import json
import secrets
import time
from typing import Any, Final
from urllib.parse import urlsplit

import aiohttp

from .payloads import SIGNATURE_HEADER, USER_AGENT, encode, smartcar_hmac, verify_request
from .report import Verification

SMARTCAR_TIMEOUT: Final = 15.0  # seconds; a later answer counts as a failure


@dataclass(frozen=True, slots=True)
class Answer:
    """What came back for one request: a status and body, or why there was none."""

    status: int | None
    body: bytes
    latency_ms: float
    transport_error: str | None = None
    content_type: str | None = None
    location: str | None = None

    def json(self) -> Any:
        """The body parsed as JSON, or ``None`` if it is not JSON."""
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def field(self, name: str) -> str | None:
        """A string field of a JSON-object answer (``result``, ``error``)."""
        document = self.json()
        value = document.get(name) if isinstance(document, dict) else None
        return None if value is None else str(value)

    @property
    def accepted(self) -> bool:
        """Smartcar counts any 2xx as delivered."""
        return self.status is not None and 200 <= self.status < 300  # noqa: PLR2004


def headers_for(body: bytes, token: str | None) -> dict[str, str]:
    """Smartcar's request headers; ``SC-Signature`` when a signing token is given."""
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
    if token is not None:
        headers[SIGNATURE_HEADER] = smartcar_hmac(token, body)
    return headers


def _describe(err: BaseException, url: str) -> str:
    """A short, actionable description of a transport failure."""
    parts = urlsplit(url)
    where = f"{parts.hostname}:{parts.port or (443 if parts.scheme == 'https' else 80)}"
    if isinstance(err, TimeoutError):
        return "timeout: no answer within the time limit (Smartcar waits 15 s)"
    if isinstance(err, aiohttp.ClientConnectorCertificateError):
        return f"TLS certificate rejected for {where} (Smartcar needs a publicly trusted one)"
    if isinstance(err, aiohttp.ClientSSLError):
        return f"TLS error with {where}: {err}"
    if isinstance(err, aiohttp.ClientConnectorDNSError):
        return f"DNS lookup of {parts.hostname} failed"
    if isinstance(err, aiohttp.ClientConnectorError):
        if isinstance(err.os_error, ConnectionRefusedError):
            return f"connection refused by {where}: nothing listens there"
        return f"cannot connect to {where}: {err.os_error}"
    if isinstance(err, aiohttp.ServerDisconnectedError):
        return "the server closed the connection without answering"
    return f"request failed: {err.__class__.__name__}: {err}"


async def post(
    session: aiohttp.ClientSession,
    url: str,
    body: bytes,
    headers: dict[str, str],
    answer_timeout: float = SMARTCAR_TIMEOUT,
) -> Answer:
    """POST ``body`` byte for byte; never raises for network trouble, never follows redirects."""
    started = time.perf_counter()
    try:
        async with session.post(
            url,
            data=body,
            headers=headers,
            allow_redirects=False,
            timeout=aiohttp.ClientTimeout(total=answer_timeout),
        ) as response:
            content = await response.read()
            return Answer(
                status=response.status,
                body=content,
                latency_ms=(time.perf_counter() - started) * 1000,
                content_type=response.content_type,
                location=response.headers.get("Location"),
            )
    except (TimeoutError, aiohttp.ClientError) as err:
        return Answer(
            status=None,
            body=b"",
            latency_ms=(time.perf_counter() - started) * 1000,
            transport_error=_describe(err, url),
        )


async def verify(
    session: aiohttp.ClientSession,
    url: str,
    token: str,
    *,
    answer_timeout: float = SMARTCAR_TIMEOUT,
    sign: bool = False,
) -> Verification:
    """Send a v4 VERIFY and check the answer as Smartcar does; explain any failure.

    Smartcar's docs do not say whether VERIFY is signed, so by default it is not
    (``sign`` adds a valid ``SC-Signature``).
    """
    challenge = secrets.token_urlsafe(24)
    now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    body = encode(verify_request(challenge, now))
    answer = await post(
        session, url, body, headers_for(body, token if sign else None), answer_timeout
    )
    expected = smartcar_hmac(token, challenge.encode("utf-8"))
    ok, reason = _diagnose(answer, challenge, expected)
    return Verification(
        ok=ok,
        status=answer.status,
        latency_ms=round(answer.latency_ms, 1),
        reason=reason,
        challenge=challenge,
    )


def _diagnose(answer: Answer, challenge: str, expected: str) -> tuple[bool, str]:
    """Whether Smartcar would accept ``answer`` to the VERIFY, and why (not)."""
    if answer.status is None:
        return False, f"no answer: {answer.transport_error}"
    if answer.status != 200:  # noqa: PLR2004
        return False, _diagnose_status(answer)
    if not answer.body.strip():
        return False, (
            "HTTP 200 with an empty body: Home Assistant answers this way to a webhook id "
            "that no integration owns; check the webhook id in the URL and that the "
            "Smartcar integration is loaded"
        )
    document = answer.json()
    if not isinstance(document, dict):
        return False, "HTTP 200, but the answer is not a JSON object"
    received = document.get("challenge")
    if not isinstance(received, str):
        return False, 'HTTP 200, but the answer has no "challenge" string'
    if received != expected:
        return False, _diagnose_hash(received, challenge, expected)
    note = ""
    if answer.content_type != "application/json":
        note = f" (but Content-Type is {answer.content_type!r}, not application/json)"
    return True, f"passed: the answer is HMAC-SHA256(AMT, challenge){note}"


def _diagnose_status(answer: Answer) -> str:
    """Why a VERIFY answer with a status other than 200 fails."""
    status = answer.status
    server_error = answer.field("error")
    detail = f" ({server_error})" if server_error else ""
    if status is not None and 300 <= status < 400:  # noqa: PLR2004
        return (
            f"HTTP {status} redirect to {answer.location or '?'}: Smartcar does not follow "
            "redirects; give it the final URL (scheme, host and path exactly)"
        )
    if status == 404:  # noqa: PLR2004
        return f"HTTP 404{detail}: nothing answers at this path; check the URL"
    if status == 401:  # noqa: PLR2004
        return (
            f"HTTP 401{detail}: the receiver rejected the request's signature; "
            "the token in Home Assistant does not match"
        )
    return f"HTTP {status}{detail}: Smartcar needs 200 with the challenge's hash"


def _diagnose_hash(received: str, challenge: str, expected: str) -> str:
    """Why a ``challenge`` answer that is not the expected HMAC fails."""
    if received == challenge:
        return "the answer echoes the challenge instead of its HMAC-SHA256 (a legacy receiver?)"
    if received.lower() == expected:
        return "the hash is upper-case hex; Smartcar expects lowercase"
    return (
        "wrong hash: the token in Home Assistant does not match the Application "
        "Management Token given to the simulator (Smartcar's Dashboard shows "
        '424 "invalid hash")'
    )
