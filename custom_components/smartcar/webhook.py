"""The webhook endpoint: raw bytes in, a status code out.

Every request gets a defined answer, and nothing but an accepted, verified event changes
state. Rejections are returned, never raised: Home Assistant's webhook component answers
200 to a handler that raises, which would tell Smartcar that a bad request was fine.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import TYPE_CHECKING, Any, Protocol

from aiohttp import hdrs
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web import Request, Response, json_response
from aiohttp.web_protocol import RequestPayloadError
import orjson

from homeassistant.util import dt as dt_util

from .const import LOGGER, MAX_BODY_BYTES
from .json_body import ProtocolError, load_object
from .protocol import VehicleError, VehicleState, parse_event
from .runtime import Delivery
from .signatures import SIGNATURE_HEADER, parse_verify, signature_matches, verify_answer

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.util.aiohttp import MockRequest

    from .protocol import Event


class Receiver(Protocol):
    """What the endpoint answers for: a running entry, or a config flow awaiting VERIFY."""

    @property
    def token(self) -> str:
        """The Application Management Token that signs deliveries."""

    def async_verified(self) -> None:
        """Smartcar's VERIFY was answered."""

    def async_signature_checked(self, *, valid: bool) -> None:
        """A delivery's signature was checked."""

    def async_record(self, delivery: Delivery) -> None:
        """Keep a request for diagnostics."""

    def async_apply(self, event: Event) -> str | None:
        """Apply a verified event; ``None`` when events cannot be taken yet."""


# The answers to accepted events, encoded once: every delivery gets one of these.
_ANSWERS = {
    result: orjson.dumps({"result": result}) for result in ("applied", "duplicate", "ignored")
}


class SmartcarWebhook:
    """The handler registered for one webhook id.

    ``only_errors`` serves Smartcar's optional separate error callback URI, which receives
    VEHICLE_ERROR events only: anything else sent there is acknowledged and ignored.
    """

    def __init__(self, receiver: Receiver, *, only_errors: bool = False) -> None:
        """Answer on behalf of ``receiver``."""
        self._runtime = receiver
        self._only_errors = only_errors

    async def __call__(
        self, hass: HomeAssistant, webhook_id: str, request: Request | MockRequest
    ) -> Response:
        """Answer one request (GET and HEAD probes get an empty 200)."""
        if request.method != hdrs.METH_POST:
            return Response(status=HTTPStatus.OK)
        body = await self._read_body(request)
        if isinstance(body, Response):
            return body
        try:
            document = load_object(body)
            challenge = parse_verify(document)
        except ProtocolError as err:
            return self._reject(HTTPStatus.BAD_REQUEST, None, err.reason)
        signature = request.headers.get(SIGNATURE_HEADER)
        token = self._runtime.token

        if challenge is not None:
            # Smartcar may or may not sign VERIFY; a signature that is present must match.
            if signature is not None and not signature_matches(token, body, signature):
                return self._reject(HTTPStatus.UNAUTHORIZED, "VERIFY", "signature mismatch")
            self._runtime.async_verified()
            self._record("VERIFY", HTTPStatus.OK, "verified")
            return json_response(verify_answer(token, challenge))

        event_type = _text(document.get("eventType"))
        if not signature_matches(token, body, signature):
            # Size and received signature, to diagnose (PROTOCOL.md §12); nothing of the
            # expected one, which is derived from the token: debug logs get shared.
            LOGGER.debug(
                "Rejected a %s-byte delivery: signature %s…", len(body), (signature or "")[:8]
            )
            self._runtime.async_signature_checked(valid=False)
            return self._reject(HTTPStatus.UNAUTHORIZED, event_type, "signature mismatch")
        self._runtime.async_signature_checked(valid=True)
        try:
            event = parse_event(document)
        except ProtocolError as err:
            return self._reject(HTTPStatus.BAD_REQUEST, event_type, err.reason)

        if self._only_errors and not isinstance(event, VehicleError):
            result: str | None = "ignored"
        else:
            result = self._runtime.async_apply(event)
        if result is None:
            # Not set up yet (the config flow is still open): Smartcar retries later.
            return self._reject(HTTPStatus.SERVICE_UNAVAILABLE, event_type, "setup not finished")
        signals = len(event.signal_objects) if isinstance(event, VehicleState) else 0
        triggers = (
            tuple(trigger.name for trigger in event.triggers)
            if isinstance(event, VehicleState)
            else ()
        )
        self._record(event_type, HTTPStatus.OK, result, signals, triggers)
        return Response(body=_ANSWERS[result], content_type="application/json")

    async def _read_body(self, request: Request | MockRequest) -> bytes | Response:
        """The raw body, or the answer refusing it: too large, or not readable."""
        try:
            body = await read_capped(request, MAX_BODY_BYTES)
        except (RequestPayloadError, HttpProcessingError):
            # A Content-Encoding the body does not match (gzip that is not): it cannot be
            # read. Smartcar sends plain JSON. aiohttp would read the rest of the broken
            # stream after the answer and log its error with a traceback, for every such
            # request: the stream ends here, and the connection after the answer.
            if isinstance(request, Request):
                request.content.feed_eof()
            answer = self._reject(HTTPStatus.BAD_REQUEST, None, "body cannot be decoded")
            answer.force_close()
            return answer
        if body is None:
            return self._reject(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, None, "body over 64 KiB")
        return body

    def _reject(self, status: HTTPStatus, event_type: str | None, reason: str) -> Response:
        LOGGER.debug("Answered %s to a webhook request: %s", int(status), reason)
        self._record(event_type, status, reason)
        return json_response({"error": reason}, status=status)

    def _record(
        self,
        event_type: str | None,
        status: HTTPStatus,
        result: str,
        signals: int = 0,
        triggers: tuple[str, ...] = (),
    ) -> None:
        self._runtime.async_record(
            Delivery(
                at=dt_util.utcnow(),
                event_type=event_type,
                status=int(status),
                result=result,
                signals=signals,
                triggers=triggers,
            )
        )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


async def read_capped(request: Request | MockRequest, limit: int) -> bytes | None:
    """The raw body, or ``None`` as soon as it is known to exceed ``limit`` bytes.

    Reads from ``request.content`` because cloudhook requests have no ``read()``; a
    declared Content-Length over the limit is refused without reading at all.
    """
    declared: Any = request.headers.get(hdrs.CONTENT_LENGTH)
    if declared is not None and declared.isdigit() and int(declared) > limit:
        return None
    stream = request.content
    chunks: list[bytes] = []
    size = 0
    while chunk := await stream.read(limit + 1 - size):
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            return None
    # A body nearly always arrives as one chunk, which join returns without copying it.
    return b"".join(chunks)
